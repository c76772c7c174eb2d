/* Studio: live preview and line-numbered problems in the editor, the formatting toolbar and its
   shortcuts, slugs from titles. Everything works without this script; it only makes the editor
   answer while typing (the toolbar stays hidden without it). */
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

  /* The text wraps, so a line may take several rows: an off-screen copy of the textarea, one
     block per line, gives each line's height to its number in the gutter. */
  var MIRRORED = ["fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing",
                  "tabSize", "whiteSpace", "wordBreak", "overflowWrap"];

  function fitGutter(textarea, gutter, mirror) {
    var style = getComputedStyle(textarea);
    MIRRORED.forEach(function (name) { mirror.style[name] = style[name]; });
    mirror.style.width = (textarea.clientWidth - parseFloat(style.paddingLeft) -
                          parseFloat(style.paddingRight)) + "px";
    var fragment = document.createDocumentFragment();
    textarea.value.split("\n").forEach(function (line) {
      var row = document.createElement("div");
      row.textContent = line || "\u200b";
      fragment.appendChild(row);
    });
    mirror.replaceChildren(fragment);
    var rows = mirror.children;
    var spans = gutter.children;
    for (var i = 0; i < spans.length && i < rows.length; i += 1) {
      spans[i].style.height = rows[i].offsetHeight + "px";
    }
  }

  /* The editor's sentences, in the page's language, from the form's data-text-* attributes. */
  function sentence(form, name, values) {
    var text = form.dataset["text" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  function renderProblems(form, box, problems, text) {
    var lines = text.split("\n");
    box.replaceChildren();
    var status = document.createElement("p");
    if (!problems.length) {
      status.className = "status status-ok";
      status.textContent = "\u2713 " + sentence(form, "NoProblems");
      box.appendChild(status);
      return;
    }
    status.className = "status status-off";
    status.textContent = sentence(form, problems.length === 1 ? "ProblemOne" : "ProblemOther",
                                  {count: problems.length});
    var list = document.createElement("ol");
    list.className = "problem-list";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "problem";
      var where = document.createElement(p.line ? "button" : "span");
      where.className = "problem-line" + (p.line ? "" : " is-file");
      where.textContent = p.line ? sentence(form, "Line", {line: p.line}) : sentence(form, "WholeFile");
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

  /* Put the cursor on a line and scroll it into view (a few rows below the top). */
  function goToLine(textarea, gutter, line) {
    var lines = textarea.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i += 1) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    var target = gutter.children[line - 1];
    var top = target ? target.offsetTop - gutter.children[0].offsetTop : (line - 1) * lineHeight;
    textarea.scrollTop = Math.max(0, top - 3 * lineHeight);
  }

  /* --- the formatting toolbar ------------------------------------------------------------- */

  /* Replace the selection, keeping the browser's undo history where it can. */
  function replaceSelection(textarea, text, selectFrom, selectTo) {
    var start = textarea.selectionStart;
    textarea.focus();
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      textarea.setRangeText(text, start, textarea.selectionEnd, "end");
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
    }
    textarea.setSelectionRange(start + selectFrom, start + selectTo);
  }

  /* Wrap the selection (or a placeholder, left selected) in `before` and `after`. */
  function wrap(textarea, before, after, placeholder) {
    var chosen = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
    var inner = chosen || placeholder;
    replaceSelection(textarea, before + inner + after, before.length, before.length + inner.length);
  }

  /* Select whole lines around the selection and apply `change` to each line. */
  function eachLine(textarea, change) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var endBreak = value.indexOf("\n", textarea.selectionEnd);
    var end = endBreak === -1 ? value.length : endBreak;
    textarea.setSelectionRange(start, end);
    var lines = value.slice(start, end).split("\n");
    var text = change(lines).join("\n");
    replaceSelection(textarea, text, 0, text.length);
  }

  function togglePrefix(prefix, pattern) {
    return function (lines) {
      var all = lines.every(function (line) { return pattern.test(line) || !line.trim(); });
      return lines.map(function (line) {
        if (!line.trim()) { return line; }
        return all ? line.replace(pattern, "") : prefix + line.replace(pattern, "");
      });
    };
  }

  var FORMATS = {
    heading: function (textarea) { eachLine(textarea, togglePrefix("## ", /^#{1,6}\s+/)); },
    bold: function (textarea) { wrap(textarea, "**", "**", "bold text"); },
    list: function (textarea) { eachLine(textarea, togglePrefix("- ", /^[-*+]\s+/)); },
    link: function (textarea) {
      var chosen = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
      if (/^https?:\/\/\S+$/.test(chosen)) {
        replaceSelection(textarea, "[link text](" + chosen + ")", 1, 10);
      } else {
        var label = chosen || "link text";
        replaceSelection(textarea, "[" + label + "](https://)", label.length + 3,
                         label.length + 11);
      }
    },
    image: function (textarea, toolbar) {
      var path = (toolbar.dataset.assetsPrefix || "../assets/") + "image.png";
      var chosen = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
      var description = chosen || "description";
      replaceSelection(textarea, "![" + description + "](" + path + ")", 2,
                       2 + description.length);
    },
    callout: function (textarea) {
      var chosen = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
      var body = (chosen || "Your note").split("\n").map(function (line) {
        return ("> " + line).trimEnd();
      }).join("\n");
      var atLineStart = textarea.selectionStart === 0 ||
        textarea.value[textarea.selectionStart - 1] === "\n";
      var lead = atLineStart ? "" : "\n\n";
      replaceSelection(textarea, lead + "> [!NOTE]\n" + body + "\n",
                       lead.length + 12, lead.length + 10 + body.length);
    }
  };

  /* Ctrl (Cmd on a Mac) with B, K, Shift+H, Shift+7, Shift+G, Shift+. (digits and the period by
     key position, so Shift+7 works whatever the keyboard layout makes of it). */
  function shortcut(event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) { return null; }
    var key = event.key.toLowerCase();
    if (!event.shiftKey) { return {b: "bold", k: "link"}[key] || null; }
    if (event.code === "Digit7") { return "list"; }
    if (event.code === "Period") { return "callout"; }
    return {h: "heading", g: "image"}[key] || null;
  }

  function initToolbar(form, textarea) {
    var toolbar = form.querySelector("[data-toolbar]");
    if (!toolbar) { return; }
    toolbar.hidden = false;
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-format]");
      if (button) { FORMATS[button.dataset.format](textarea, toolbar); }
    });
    textarea.addEventListener("keydown", function (event) {
      var format = shortcut(event);
      if (format) {
        event.preventDefault();
        FORMATS[format](textarea, toolbar);
      }
    });
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
    var editor = textarea.closest(".code-editor");
    var mirror = document.createElement("div");
    mirror.className = "code-mirror";
    mirror.setAttribute("aria-hidden", "true");
    editor.appendChild(mirror);
    editor.classList.add("has-fitted-gutter");
    var fitting = 0;

    function refit() {
      cancelAnimationFrame(fitting);
      fitting = requestAnimationFrame(function () {
        fitGutter(textarea, gutter, mirror);
        syncScroll();
      });
    }

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
          renderProblems(form, problemsBox, data.problems, text);
          renderGutter(gutter, lineCount(text), data.problems);
          refit();
          if (state) { state.textContent = textarea.value === saved ? "" : sentence(form, "Unsaved"); }
        })
        .catch(function (error) {
          if (error.name !== "AbortError" && state) {
            state.textContent = sentence(form, "PreviewFailed", {reason: error.message});
          }
        });
    }

    textarea.addEventListener("input", function () {
      renderGutter(gutter, lineCount(textarea.value), []);
      refit();
      if (state) { state.textContent = sentence(form, "Unsaved"); }
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
      if (target) { goToLine(textarea, gutter, parseInt(target.dataset.line, 10)); }
    });
    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && textarea.value !== saved) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    initToolbar(form, textarea);
    fitGutter(textarea, gutter, mirror);
    if (window.ResizeObserver) { new ResizeObserver(refit).observe(textarea); }
    var wanted = /^#L(\d+)$/.exec(window.location.hash);
    if (wanted) { goToLine(textarea, gutter, parseInt(wanted[1], 10)); }
    syncScroll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initSlugFields();
    document.querySelectorAll("form[data-studio-editor]").forEach(initEditor);
  });
}());
