// Shared helpers for the organizers' pages: fetch with the page's CSRF token, confirm buttons.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  // The page's strings for scripts, in the organizer's language: JSON in <body data-i18n> (no inline
  // script, so a strict CSP holds), from webhooks/dashboard/i18n.py JS_STRINGS.
  var strings = {};
  try { strings = JSON.parse(document.body.getAttribute("data-i18n") || "{}"); } catch (e) { strings = {}; }
  var locale = document.body.getAttribute("data-locale") || document.documentElement.lang || "en";
  window.streetline = {
    csrf: meta ? meta.content : "",
    locale: locale,
    // t("send_to", {n: 12}) -> "Envoyer à 12"; {name} is filled from params.
    t: function (key, params) {
      var text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
      return text.replace(/\{(\w+)\}/g, function (whole, name) {
        return params && params[name] !== undefined ? String(params[name]) : whole;
      });
    },
    number: function (n) {
      try { return new Intl.NumberFormat(locale).format(n); } catch (e) { return String(n); }
    },
    percent: function (p) {  // 33.3 -> "33,3 %" in French
      try { return new Intl.NumberFormat(locale, {style: "percent", maximumFractionDigits: 1}).format(p / 100); }
      catch (e) { return p + "%"; }
    },
    time: function (d) {
      try { return d.toLocaleTimeString(locale); } catch (e) { return d.toLocaleTimeString(); }
    },
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
