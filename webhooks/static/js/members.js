// Members pages: a revealed number is not kept on screen or in history longer than needed.
(function () {
  "use strict";
  var shown = document.querySelector("#member-phone[data-revealed]");
  if (!shown) { return; }
  // Reloading must not repeat the POST (a second reveal): the address becomes the member's page again.
  var page = document.getElementById("member");
  if (page && window.history && history.replaceState) {
    history.replaceState(null, "", "/members/" + encodeURIComponent(page.getAttribute("data-member")));
  }
  var hide = document.createElement("button");
  hide.type = "button";
  hide.id = "hide-phone";
  hide.textContent = window.streetline.t("hide");
  function clear() {
    shown.textContent = window.streetline.t("hidden_again");
    shown.removeAttribute("data-revealed");
    hide.remove();
  }
  hide.addEventListener("click", clear);
  shown.insertAdjacentElement("afterend", hide);
  window.setTimeout(clear, 120000);
})();
