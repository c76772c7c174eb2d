// The login page asks for the email first. Without this script the page shows the email and
// the password together and works in two steps (an empty password asks the server what comes
// next: the organisation's identity provider, or the password). With it, the password part
// stays hidden and the button says "Continue" until an email is typed.
(() => {
  const form = document.querySelector("form[data-login-step='email']");
  if (!form) return;
  const email = form.querySelector("input[name='email']");
  const password = form.querySelector("input[name='password']");
  const steps = form.querySelectorAll("[data-password-step]");
  const button = form.querySelector("input[type='submit'], button[type='submit']");
  if (!email || !password || !steps.length || !button || password.value) return;
  const logIn = button.value;
  const reveal = () => {
    if (!email.value.trim()) return;
    steps.forEach((step) => { step.hidden = false; });
    button.value = logIn;
    email.removeEventListener("input", reveal);
  };
  steps.forEach((step) => { step.hidden = true; });
  button.value = form.dataset.continue;
  email.addEventListener("input", reveal);
  reveal();
})();
