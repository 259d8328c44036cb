// Keeps the statement being written in this tab while the resident moves about: the language
// switch, a look at the rules or the answers page load other pages, and the text was lost with
// them. Kept in sessionStorage (this tab only, gone when it closes), never sent anywhere. Sending
// the form drops it: a refused statement comes back in the page the server answers with.
(function () {
  "use strict";
  var box = document.querySelector("textarea[data-draft-key]");
  if (!box) { return; }
  var key = "voxit-draft:" + box.dataset.draftKey;
  var store;
  try { store = window.sessionStorage; store.getItem(key); } catch (e) { return; }  // storage off
  if (box.value) {
    store.setItem(key, box.value);  // the server's copy (a refused or previewed statement) is the draft now
  } else if (store.getItem(key)) {
    box.value = store.getItem(key);
  }
  box.addEventListener("input", function () {
    if (box.value) { store.setItem(key, box.value); } else { store.removeItem(key); }
  });
  if (box.form) {
    box.form.addEventListener("submit", function () { store.removeItem(key); });
  }
})();
