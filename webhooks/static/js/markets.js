// Markets pages: no double sends on slow links, and the reason's visible length.
(function () {
  "use strict";
  // A form submits once: the button says what is happening (app.js asks data-confirm first).
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    var button = event.target.querySelector("button[type=submit]");
    if (!button) { return; }
    if (button.disabled) { event.preventDefault(); return; }
    window.setTimeout(function () {
      button.disabled = true;
      button.setAttribute("data-busy", "yes");
      button.textContent = window.streetline.t(button.id === "broadcast-offer-button" ? "starting_broadcast" : "saving");
    }, 0);
  });
  // Workers see the first 40 characters of a reason in an SMS.
  var reason = document.getElementById("reason-field");
  var count = document.querySelector(".reason-count");
  if (reason && count) {
    var show = function () {
      var n = reason.value.trim().length;
      var t = window.streetline.t;
      count.textContent = n ? t("n_characters", {n: n}) + (n > 40 ? " — " + t("sms_shows", {text: reason.value.trim().slice(0, 40)}) : "") : "";
    };
    reason.addEventListener("input", show);
    show();
  }
})();
