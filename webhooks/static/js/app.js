// Shared helpers for the organizers' pages: fetch with the page's CSRF token, confirm buttons.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.streetline = {
    csrf: meta ? meta.content : "",
    // JSON over fetch with the CSRF header; resolves to the parsed body or throws with the server's message.
    fetchJSON: function (url, options) {
      options = options || {};
      options.headers = Object.assign({"X-CSRF-Token": this.csrf, "Accept": "application/json"}, options.headers || {});
      options.credentials = "same-origin";
      return fetch(url, options).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) { throw new Error(body.message || body.error || ("HTTP " + response.status)); }
          return body;
        });
      });
    },
  };
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
