// Ticks the password rules listed under a new-password field while it is typed. The rules,
// their wording and their parameters come from the server's policy, which checks them again
// on submit; a rule this script does not know stays unticked until then. The words it says
// about a rule ("met", "not met") come, translated, from the list's data attributes.
(() => {
  const lower = (text) => text.toLowerCase();
  const personal = (value, rule) =>
    value.length >= Number(rule.dataset.part) ? lower(value) : null;

  const checks = {
    length: (password, rule) => {
      const length = [...password].length;
      return length >= Number(rule.dataset.min) && length <= Number(rule.dataset.max);
    },
    mix: (password) =>
      [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((kind) => kind.test(password)).length >= 3,
    guessable: (password, rule) =>
      !rule.dataset.common.split(" ").includes(lower(password)) &&
      new Set(password).size >= Number(rule.dataset.distinct),
    email: (password, rule, you) => {
      const localPart = personal(you.email().split("@")[0], rule);
      return !(localPart && lower(password).includes(localPart));
    },
    name: (password, rule, you) =>
      !you.name().split(/\s+/).some((part) => {
        const piece = personal(part, rule);
        return piece && lower(password).includes(piece);
      }),
  };

  const fieldValue = (id, fallback) => {
    const input = id ? document.getElementById(id) : null;
    return () => (input ? input.value.trim() : fallback || "");
  };

  const watch = (list) => {
    const password = document.getElementById(list.dataset.password);
    if (!password) return;
    const you = {
      email: fieldValue(list.dataset.emailField, list.dataset.email),
      name: fieldValue(list.dataset.nameField, list.dataset.name),
    };
    const update = () => {
      const value = password.value;
      for (const rule of list.querySelectorAll("li[data-rule]")) {
        const check = checks[rule.dataset.rule];
        const state = rule.querySelector(".rule-state");
        if (!check) continue;
        if (!value) {
          rule.classList.remove("is-met");
          if (state) state.textContent = rule.classList.contains("is-unmet") ? ` ${list.dataset.notMet}` : "";
          continue;
        }
        const met = check(value, rule, you);
        rule.classList.toggle("is-met", met);
        rule.classList.remove("is-unmet");
        if (state) state.textContent = ` ${met ? list.dataset.met : list.dataset.notMetYet}`;
      }
    };
    password.addEventListener("input", update);
    for (const id of [list.dataset.emailField, list.dataset.nameField]) {
      const other = id && document.getElementById(id);
      if (other) other.addEventListener("input", update);
    }
  };

  document.querySelectorAll(".password-rules[data-password]").forEach(watch);
})();
