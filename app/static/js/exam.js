/* The attempt page: the time left in the learner's own clock, a warning at five minutes and at
   one minute (the only sentences read out unasked), each answer saved as it is given, the count
   and the navigator kept up to date, and a question before submitting with questions left
   unanswered. Without this script the page is a plain form, and the server keeps the time.
   Its sentences come in the page's language, from the form's data-text-* attributes. */
(function () {
  "use strict";

  var WARNINGS = [
    { secondsLeft: 300, sentence: "textFiveMinutes" },
    { secondsLeft: 60, sentence: "textOneMinute" }
  ];
  var TYPING_PAUSE_MS = 700;

  function clockTime(moment, withSeconds) {
    var options = { hour: "2-digit", minute: "2-digit" };
    if (withSeconds) { options.second = "2-digit"; } else { options.timeZoneName = "short"; }
    return new Intl.DateTimeFormat(undefined, options).format(moment);
  }

  /* The form's sentence `name` with its {placeholders} filled in from `values`. */
  function sentence(form, name, values) {
    return (form.dataset[name] || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  function remainingText(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = twoDigits(minutes) + ":" + twoDigits(seconds % 60);
    return hours ? hours + ":" + rest : rest;
  }

  function listed(form, numbers) {
    if (numbers.length === 1) { return sentence(form, "textOneQuestion", { number: numbers[0] }); }
    return sentence(form, "textQuestions", {
      numbers: numbers.slice(0, -1).join(", "), last: numbers[numbers.length - 1]
    });
  }

  function isAnswered(question) {
    return Array.prototype.some.call(question.querySelectorAll("input"), function (input) {
      return input.type === "radio" || input.type === "checkbox" ? input.checked
        : input.value.trim() !== "";
    });
  }

  /* The answered count in the bar and the state of each navigator link. */
  function trackProgress(form, status, nav) {
    var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.quiz-question"));
    var count = status.querySelector(".exam-answered");

    function unanswered() {
      return questions.filter(function (question) { return !isAnswered(question); });
    }

    function refresh() {
      var open = unanswered();
      count.textContent = String(questions.length - open.length);
      questions.forEach(function (question) {
        var link = nav.querySelector('a[data-question="' + question.dataset.question + '"]');
        var done = open.indexOf(question) === -1;
        link.classList.toggle("is-answered", done);
        link.querySelector(".exam-nav-state").textContent = sentence(form,
          done ? "textAnswered" : "textNotAnswered", { number: question.dataset.question });
      });
    }

    form.addEventListener("change", refresh);
    form.addEventListener("input", refresh);
    refresh();  // the browser may have restored what was ticked before a reload
    return { unanswered: unanswered, total: questions.length };
  }

  /* A jump to a question puts the keyboard on its first choice (or the one chosen). */
  function focusOnJump(nav) {
    nav.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-question]");
      var question = link && document.getElementById("q-" + link.dataset.question);
      if (!question) { return; }
      var control = question.querySelector("input:checked") || question.querySelector("input");
      window.setTimeout(function () { control.focus({ preventScroll: true }); }, 0);
    });
  }

  function focusQuestion(question) {
    var control = question.querySelector("input:checked") || question.querySelector("input");
    question.scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
  }

  /* Every change is posted to the save address, one request at a time, the latest state last. */
  function autosave(form, status) {
    var note = status.querySelector(".exam-saved");
    var running = null;
    var again = false;
    var stopped = false;
    var typing = null;

    function say(text, problem) {
      note.hidden = false;
      note.textContent = text;
      note.classList.toggle("is-problem", Boolean(problem));
    }

    function read(response) {
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      }, function () {
        return { status: response.status, body: null };
      });
    }

    function answer(reply) {
      var error = reply.body && reply.body.error;
      if (reply.status === 200 && reply.body && reply.body.saved_at) {
        say(sentence(form, "textSaved", { time: clockTime(new Date(reply.body.saved_at), true) }));
      } else if (reply.status === 409 && error && error.result_url) {
        stopped = true;
        say(error.message, true);
        window.location.assign(error.result_url);
      } else if (error) {
        say(sentence(form, "textRefused", { reason: error.message }), true);
      } else {
        say(sentence(form, "textUnsaved"), true);
      }
    }

    function send() {
      window.clearTimeout(typing);
      if (stopped) { return; }
      if (running) { again = true; return; }
      say(sentence(form, "textSaving"));
      running = fetch(form.dataset.saveUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(read).then(answer, function () {
        say(sentence(form, "textOffline"), true);
      }).then(function () {
        running = null;
        if (again) { again = false; send(); }
      });
    }

    function idle() {
      return running ? running.then(idle) : Promise.resolve();
    }

    form.addEventListener("change", send);
    form.addEventListener("input", function (event) {
      if (event.target.type !== "number") { return; }
      window.clearTimeout(typing);
      typing = window.setTimeout(send, TYPING_PAUSE_MS);
    });
    say(sentence(form, "textReady"));
    return {
      idle: idle,
      stop: function () { stopped = true; window.clearTimeout(typing); }
    };
  }

  /* Submitting: waits for a save in flight, and asks first when questions are unanswered. */
  function guardSubmission(form, progress, saver) {
    var dialog = document.getElementById("exam-confirm");
    var text = dialog.querySelector(".exam-confirm-text");
    var submitButton = form.querySelector(".exam-submit");
    var released = false;
    var confirmed = false;

    function release(submitter) {
      released = true;
      saver.stop();
      saver.idle().then(function () {
        // a task later: while its submit event is being handled, a form ignores a new submission
        window.setTimeout(function () { form.requestSubmit(submitter || undefined); }, 0);
      });
    }

    function ask(open) {
      var numbers = open.map(function (question) { return question.dataset.question; });
      text.textContent = sentence(form, open.length === 1 ? "textConfirmOne" : "textConfirmMany", {
        open: open.length, total: progress.total, questions: listed(form, numbers)
      });
      confirmed = false;
      dialog.showModal();
    }

    form.addEventListener("submit", function (event) {
      if (released) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      var saving = submitter && submitter.hasAttribute("formaction");
      var open = progress.unanswered();
      if (!saving && open.length && typeof dialog.showModal === "function") {
        ask(open);
        return;
      }
      release(submitter);
    });
    dialog.querySelector("[data-exam-back]").addEventListener("click", function () {
      dialog.close();
    });
    dialog.querySelector("[data-exam-submit]").addEventListener("click", function () {
      confirmed = true;
      dialog.close();
      release(submitButton);
    });
    dialog.addEventListener("close", function () {
      var open = progress.unanswered();
      if (!confirmed && open.length) { focusQuestion(open[0]); }
    });

    return function timeIsUp() {
      if (released) { return; }
      confirmed = true;
      if (dialog.open) { dialog.close(); }
      release(submitButton);
    };
  }

  /* The time left, by the server's clock: the page says what time the server had when sent. */
  function countdown(form, status, timeIsUp) {
    var deadline = Date.parse(status.dataset.deadline);
    if (isNaN(deadline)) { return; }
    var serverNow = Date.parse(status.dataset.serverNow);
    var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
    var digits = status.querySelector(".exam-remaining-time");
    var alert = status.querySelector(".exam-alert");
    var timer = null;

    function millisecondsLeft() { return deadline - (Date.now() + skew); }
    function secondsLeft() { return Math.max(0, Math.ceil(millisecondsLeft() / 1000)); }
    function stageOf(seconds) {
      var passed = WARNINGS.filter(function (w) { return seconds <= w.secondsLeft; }).length;
      return seconds === 0 ? WARNINGS.length + 1 : passed;
    }

    var stage = stageOf(secondsLeft());

    function tick() {
      var seconds = secondsLeft();
      var reached = stageOf(seconds);
      digits.textContent = remainingText(seconds);
      status.classList.toggle("is-warning", seconds <= WARNINGS[0].secondsLeft &&
        seconds > WARNINGS[1].secondsLeft);
      status.classList.toggle("is-urgent", seconds <= WARNINGS[1].secondsLeft);
      if (reached > stage) {
        if (reached <= WARNINGS.length) {
          alert.textContent = sentence(form, WARNINGS[reached - 1].sentence);
        }
        else { timeIsUp(); }
        stage = reached;
      }
      if (seconds > 0) {
        var untilNextSecond = millisecondsLeft() % 1000;
        timer = window.setTimeout(tick, (untilNextSecond > 0 ? untilNextSecond : 1000) + 20);
      }
    }

    // Hidden tabs get their timers slowed down: catch up as soon as the page is seen again.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") { return; }
      window.clearTimeout(timer);
      tick();
    });
    status.querySelector(".exam-remaining").hidden = false;
    tick();
  }

  /* The navigator and the jumps to a question keep clear of the bar, whatever its height. */
  function measureBar(status) {
    var root = document.documentElement;
    function measure() { root.style.setProperty("--exam-bar-height", status.offsetHeight + "px"); }
    if (window.ResizeObserver) { new ResizeObserver(measure).observe(status); }
    measure();
  }

  function localTimes() {
    document.querySelectorAll("time.exam-local-time").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (!isNaN(moment.getTime())) { element.textContent = clockTime(moment, false); }
    });
  }

  function init() {
    var form = document.querySelector("form.exam-form");
    var status = document.querySelector(".exam-status");
    var nav = document.querySelector(".exam-nav");
    if (!form || !status || !nav || !window.fetch) { return; }
    var progress = trackProgress(form, status, nav);
    focusOnJump(nav);
    var saver = autosave(form, status);
    var timeIsUp = guardSubmission(form, progress, saver);
    localTimes();
    countdown(form, status, timeIsUp);
    measureBar(status);
  }

  init();
})();
