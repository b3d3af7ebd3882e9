// Reports pages: the filter box stays open on screens wide enough to show it next to the results.
(function () {
  "use strict";
  if (window.matchMedia && window.matchMedia("(min-width: 700px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (box) { box.open = true; });
  }
})();
