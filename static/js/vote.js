// Progressive enhancement of the vote card: answers go to the API without a page reload.
// Without JavaScript the same form posts to the server and redirects to the next card.
(function () {
  "use strict";
  var card = document.getElementById("statement-card");
  if (!card || !window.fetch) { return; }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setProgress(progress) {
    var text = document.getElementById("progress-text");
    var bar = document.getElementById("progress-bar");
    if (text && text.dataset.template === undefined) { text.dataset.template = text.textContent; }
    if (text) {
      text.textContent = text.textContent.replace(/\d+\s*\/\s*\d+/, progress.answered + " / " + progress.total);
    }
    if (bar) { bar.max = Math.max(progress.total, 1); bar.value = progress.answered; }
  }

  function showNext(form, next) {
    var body = document.getElementById("card-body");
    if (!next) {
      var done = document.getElementById("all-done-template");
      body.innerHTML = "";
      body.appendChild(done.content.cloneNode(true));
      card.focus();
      return;
    }
    var text = document.getElementById("statement-text");
    text.textContent = next.text;
    text.lang = next.lang || "";
    form.querySelector("input[name=statement]").value = next.id;
    // Focus the new statement itself, so a screen reader reads it out (focus on the first
    // button read only "Agree, button"); Tab then reaches the answers.
    text.focus();
  }

  function announce(message) {
    var status = document.getElementById("vote-status");
    if (status) { status.textContent = ""; window.setTimeout(function () { status.textContent = message; }, 50); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("vote-form") || !form.dataset.api) { return; }
    var button = event.submitter;
    if (!button || !button.value) { return; }
    event.preventDefault();
    var error = document.getElementById("vote-error");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
      body: JSON.stringify({ statement: form.querySelector("input[name=statement]").value, choice: button.value })
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (!result.ok && result.data.code === "statement_not_found" && form.dataset.next) {
        // Withdrawn while on screen: say so and show the next statement (every answer to this
        // one would be refused the same way).
        return fetch(form.dataset.next, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
          .then(function (data) {
            if (error) { error.hidden = false; error.textContent = form.dataset.withdrawn || result.data.detail || ""; }
            setProgress(data.progress);
            showNext(form, data.statement);
          });
      }
      if (!result.ok) {
        if (error) { error.hidden = false; error.textContent = result.data.detail || ""; }
        button.focus();  // disabling it while waiting had dropped the focus to the page
        return;
      }
      if (error) { error.hidden = true; }
      setProgress(result.data.progress);
      announce(button.textContent.trim() + " ✓");
      showNext(form, result.data.next);
    }).catch(function () {
      // Network trouble: fall back to the plain form post, which shows the server's message.
      buttons.forEach(function (b) { b.disabled = false; });
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "choice"; hidden.value = button.value;
      form.appendChild(hidden);
      form.submit();
    });
  });
})();
