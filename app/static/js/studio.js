/* Studio: live preview and line-numbered problems in the editor, slugs from titles.
   Everything works without this script; it only makes the editor answer while typing. */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;

  function slugify(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  }

  /* A slug field follows its title field until the trainer types a slug of their own. */
  function initSlugFields() {
    document.querySelectorAll("form[data-slugify]").forEach(function (form) {
      var title = form.querySelector("[name=title]");
      var slug = form.querySelector("[name=slug]");
      if (!title || !slug || slug.value) { return; }
      var touched = false;
      slug.addEventListener("input", function () { touched = slug.value !== ""; });
      title.addEventListener("input", function () {
        if (!touched) { slug.value = slugify(title.value); }
      });
    });
  }

  function lineCount(text) {
    return text.split("\n").length;
  }

  function renderGutter(gutter, count, problems) {
    var marks = {};
    problems.forEach(function (p) {
      (marks[p.line] = marks[p.line] || []).push(p.message);
    });
    var fragment = document.createDocumentFragment();
    for (var n = 1; n <= count; n += 1) {
      var span = document.createElement("span");
      span.className = "gutter-line" + (marks[n] ? " is-problem" : "");
      span.textContent = String(n);
      if (marks[n]) { span.title = marks[n].join(" · "); }
      fragment.appendChild(span);
    }
    gutter.replaceChildren(fragment);
  }

  function renderProblems(box, problems, text) {
    var lines = text.split("\n");
    box.replaceChildren();
    var status = document.createElement("p");
    if (!problems.length) {
      status.className = "status status-ok";
      status.textContent = "\u2713 No problems in this file.";
      box.appendChild(status);
      return;
    }
    status.className = "status status-off";
    status.textContent = problems.length + (problems.length === 1 ? " problem" : " problems") +
      " in this file";
    var list = document.createElement("ol");
    list.className = "problem-list";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "problem";
      var where = document.createElement(p.line ? "button" : "span");
      where.className = "problem-line" + (p.line ? "" : " is-file");
      where.textContent = p.line ? "Line " + p.line : "Whole file";
      if (p.line) { where.type = "button"; where.dataset.line = String(p.line); }
      item.appendChild(where);
      if (p.line && p.line <= lines.length) {
        var source = document.createElement("code");
        source.className = "problem-source";
        source.textContent = lines[p.line - 1];
        item.appendChild(source);
      }
      var message = document.createElement("span");
      message.className = "problem-message";
      message.textContent = p.message;
      item.appendChild(message);
      list.appendChild(item);
    });
    box.appendChild(status);
    box.appendChild(list);
  }

  /* Put the cursor on a line and scroll it into view. */
  function goToLine(textarea, line) {
    var lines = textarea.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i += 1) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (line - 4) * lineHeight);
  }

  function initEditor(form) {
    var textarea = form.querySelector("[data-editor-text]");
    var gutter = form.querySelector("[data-gutter]");
    var preview = form.querySelector("[data-preview]");
    var problemsBox = form.querySelector("[data-problems]");
    var state = form.querySelector("[data-editor-state]");
    var token = form.querySelector("[name=csrf_token]");
    var saved = textarea.value;
    var timer = null;
    var inFlight = null;
    var submitting = false;

    var previewCard = preview.closest(".preview-card");

    /* The gutter follows the text exactly; the preview follows in proportion. */
    function syncScroll() {
      gutter.scrollTop = textarea.scrollTop;
      var range = textarea.scrollHeight - textarea.clientHeight;
      if (previewCard && range > 0) {
        previewCard.scrollTop = (textarea.scrollTop / range) *
          (previewCard.scrollHeight - previewCard.clientHeight);
      }
    }

    function refresh() {
      if (inFlight) { inFlight.abort(); }
      inFlight = new AbortController();
      var body = new FormData();
      body.append("csrf_token", token ? token.value : "");
      body.append("text", textarea.value);
      var text = textarea.value;
      fetch(form.dataset.previewUrl, {method: "POST", body: body, credentials: "same-origin",
                                      signal: inFlight.signal})
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          preview.innerHTML = data.html;
          renderProblems(problemsBox, data.problems, text);
          renderGutter(gutter, lineCount(text), data.problems);
          syncScroll();
          if (state) { state.textContent = textarea.value === saved ? "" : "Unsaved changes"; }
        })
        .catch(function (error) {
          if (error.name !== "AbortError" && state) {
            state.textContent = "Preview unavailable (" + error.message + ")";
          }
        });
    }

    textarea.addEventListener("input", function () {
      renderGutter(gutter, lineCount(textarea.value), []);
      syncScroll();
      if (state) { state.textContent = "Unsaved changes"; }
      clearTimeout(timer);
      timer = setTimeout(refresh, PREVIEW_DELAY_MS);
    });
    textarea.addEventListener("scroll", syncScroll);
    textarea.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") {
        event.preventDefault();
        form.querySelector("button[value=save]").click();
      }
    });
    document.addEventListener("click", function (event) {
      var target = event.target.closest(".problem-line[data-line]");
      if (target) { goToLine(textarea, parseInt(target.dataset.line, 10)); }
    });
    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && textarea.value !== saved) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    var wanted = /^#L(\d+)$/.exec(window.location.hash);
    if (wanted) { goToLine(textarea, parseInt(wanted[1], 10)); }
    syncScroll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initSlugFields();
    document.querySelectorAll("form[data-studio-editor]").forEach(initEditor);
  });
}());
