// Broadcasts pages. Compose: live SMS/WhatsApp counts per textarea (segments.js), a debounced live
// preview of recipients and cost, a confirm before sending. Progress: polls the JSON progress every 2 s
// while sending and updates the counts, bar, failures and allowed actions in place; actions over fetch.
// Without JS both pages still work as plain forms (server-side preview, redirects after actions).
(function () {
  "use strict";
  var sl = window.streetline;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function text(el, value) { if (el) { el.textContent = value === null || value === undefined ? "–" : String(value); } }

  // ------------------------------------------------------------------ compose
  function compose(form) {
    var seg = window.streetlineSegments;
    var maxText = parseInt(form.getAttribute("data-max-text"), 10) || 1600;
    var defaultLang = form.getAttribute("data-default-language-name") || form.getAttribute("data-default-language");
    var panel = $("#bc-preview-panel"), sendButton = $("#bc-send"), errorBox = $("#bc-preview-error");
    var note = $("#bc-preview-note");
    var latest = null, sequence = 0, timer = null, submitting = false;

    function count(area) {
      var lang = area.getAttribute("data-lang");
      var box = $("#bc-count-" + lang), warning = $("#bc-ucs2-" + lang);
      var sms = seg.sms(area.value);
      var whatsapp = Array.from(seg.pyStrip(area.value)).length;
      text($('[data-field="characters"]', box), sms.characters);
      text($('[data-field="encoding"]', box), sms.encoding);
      text($('[data-field="segments"]', box), sms.segments);
      text($('[data-field="whatsapp"]', box), whatsapp);
      box.classList.toggle("bc-over", whatsapp > maxText);
      box.setAttribute("data-encoding", sms.encoding);
      box.setAttribute("data-segments", String(sms.segments));
      if (warning) {
        warning.hidden = sms.encoding !== "UCS-2";
        text($('[data-field="forcing"]', warning), sms.forcing.slice(0, 8).join(" "));
      }
    }

    function payload() {
      var data = new FormData(form);
      var texts = {};
      $$("textarea[data-lang]", form).forEach(function (area) { texts[area.getAttribute("data-lang")] = area.value; });
      var body = {
        name: data.get("name") || "",
        segment: {
          cities: data.getAll("cities"), markets: data.getAll("markets"), trades: data.getAll("trades"),
          languages: data.getAll("languages"), channels: data.getAll("channels"),
          registered: data.get("registered") || "any"
        },
        texts: texts
      };
      var sid = (data.get("template_sid") || "").trim();
      if (sid) {
        var variables = {};
        String(data.get("template_vars") || "").split(/\r?\n/).forEach(function (line) {
          var at = line.indexOf("=");
          if (at > 0) { variables[line.slice(0, at).trim()] = line.slice(at + 1).trim(); }
        });
        body.template = {content_sid: sid, variables: variables};
      }
      return body;
    }

    function show(p) {
      latest = p;
      panel.setAttribute("data-state", "ready");
      errorBox.hidden = true;
      var n = $("#bc-recipients");
      text(n, p.recipients);
      n.setAttribute("data-recipients", String(p.recipients));
      text($("#bc-sms-recipients"), p.sms.recipients);
      text($("#bc-sms-segments"), p.sms.segments);
      text($("#bc-wa-recipients"), p.whatsapp.recipients);
      text($("#bc-wa-text"), p.whatsapp.text);
      text($("#bc-wa-templates"), p.whatsapp.template);
      var list = $("#bc-skipped");
      list.textContent = "";
      p.skipped.forEach(function (s) {
        var li = document.createElement("li");
        li.setAttribute("data-reason", s.reason);
        var strong = document.createElement("strong");
        strong.textContent = s.count;
        li.appendChild(strong);
        li.appendChild(document.createTextNode(" " + sl.t("skipped", {explanation: s.explanation})));
        list.appendChild(li);
      });
      var ready = p.complete && p.recipients > 0;
      sendButton.hidden = !ready;
      sendButton.textContent = ready ? sl.t("send_to", {n: sl.number(p.recipients)}) : sl.t("send");
      if (!p.complete) {
        note.textContent = sl.t("write_default_text", {language: defaultLang});
      } else if (!p.recipients) {
        note.textContent = sl.t("nobody_matches");
      } else {
        note.textContent = p.missing_texts.length ? sl.t("no_text_for", {languages: p.missing_texts.join(", "),
                                                                          language: defaultLang}) : "";
      }
    }

    function fail(message) {
      latest = null;
      panel.setAttribute("data-state", "error");
      errorBox.textContent = message;
      errorBox.hidden = false;
      sendButton.hidden = true;
    }

    function refresh() {
      var mine = ++sequence;
      panel.setAttribute("data-state", "loading");
      sl.fetchJSON(form.getAttribute("data-preview-url"), {
        method: "POST", body: JSON.stringify(payload()), headers: {"Content-Type": "application/json"}
      }).then(function (p) { if (mine === sequence) { show(p); } },
              function (err) { if (mine === sequence) { fail(err.message); } });
    }

    function later() {
      clearTimeout(timer);
      latest = null;
      timer = setTimeout(refresh, 450);
    }

    $$("textarea[data-lang]", form).forEach(function (area) {
      count(area);
      area.addEventListener("input", function () { count(area); later(); });
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches("input, select, textarea")) { later(); }
    });
    $("#bc-template-sid").addEventListener("input", later);

    var filter = $("#bc-market-filter");
    if (filter) {
      filter.hidden = false;
      filter.addEventListener("input", function () {
        var q = filter.value.trim().toLowerCase();
        $$("#bc-markets label").forEach(function (label) {
          label.hidden = q !== "" && label.getAttribute("data-name").indexOf(q) < 0 && !$("input", label).checked;
        });
      });
    }

    sendButton.addEventListener("click", function (event) {
      if (submitting) { event.preventDefault(); return; }
      var n = latest ? latest.recipients : $("#bc-recipients").getAttribute("data-recipients");
      var message = sendButton.getAttribute("data-confirm-template").replace("{n}", n);
      if (latest && latest.sms.segments) {
        message += "\n" + sl.t("cost_line", {segments: sl.number(latest.sms.segments), messages: sl.number(latest.whatsapp.recipients)});
      }
      if (!window.confirm(message)) { event.preventDefault(); return; }
      submitting = true;
      // The form submits with action=send; the button stays pressed so a second click cannot send twice.
      setTimeout(function () { sendButton.disabled = true; sendButton.textContent = sl.t("sending"); }, 0);
    });

    refresh();
  }

  // ------------------------------------------------------------------ progress
  function progress(root) {
    var url = root.getAttribute("data-progress-url");
    var timer = null, startedAt = Date.now(), failures = 0;

    function apply(p) {
      root.setAttribute("data-state", p.state);
      root.setAttribute("data-live", p.live ? "true" : "false");
      var badge = $("#bc-state");
      badge.textContent = p.state_label || p.state;
      badge.className = "badge " + p.state;
      Object.keys(p.counts).forEach(function (state) { text($('[data-count="' + state + '"]', root), p.counts[state]); });
      text($("#bc-percent"), sl.percent(p.percent));
      text($("#bc-total"), sl.number(p.total));
      $("#bc-bar").value = p.percent;
      var planned = $("#bc-planned");
      if (planned) { planned.hidden = p.state !== "draft"; }
      $$("form[data-action]", root).forEach(function (form) {
        form.hidden = p.allowed.indexOf(form.getAttribute("data-action")) < 0;
      });
      var body = $("#bc-failures tbody");
      body.textContent = "";
      if (!p.failures.length) {
        var none = document.createElement("tr");
        none.className = "bc-none";
        var cell = document.createElement("td");
        cell.colSpan = 4;
        cell.textContent = sl.t("none_so_far");
        none.appendChild(cell);
        body.appendChild(none);
      }
      p.failures.forEach(function (f) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-reason", f.reason);
        tr.setAttribute("data-code", f.error_code === null ? "" : String(f.error_code));
        tr.setAttribute("data-state", f.state);
        [["people", "count", f.count, "right"], ["state", "", f.state, ""], ["why", "explanation", f.explanation, ""],
         ["code", "", f.error_code === null ? "" : f.error_code, "mono"]].forEach(function (cell) {
          var td = document.createElement("td");
          td.setAttribute("data-label", sl.t(cell[0]));
          if (cell[1]) { td.setAttribute("data-field", cell[1]); }
          if (cell[3]) { td.className = cell[3]; }
          if (cell[0] === "state") {
            var span = document.createElement("span");
            span.className = "badge " + f.state;
            span.textContent = f.state_label || f.state;
            td.appendChild(span);
          } else {
            td.textContent = cell[2];
          }
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      text($("#bc-updated"), (p.live ? sl.t("updating_every") + " · " : "") + sl.t("last_update", {time: sl.time(new Date())}));
    }

    function nextDelay(p) {
      if (p.state === "sending") { return 2000; }
      if (p.state !== "paused" && p.counts.sending > 0) { return 2000; }  // claimed rows still settling
      var waiting = p.counts.sent > 0 || p.counts.sending > 0;  // delivery receipts still coming in
      if ((p.state === "paused" || waiting) && Date.now() - startedAt < 30 * 60 * 1000) {
        return 10000;
      }
      return 0;
    }

    function schedule(delay) {
      clearTimeout(timer);
      if (delay) { timer = setTimeout(poll, delay); }
    }

    function poll() {
      if (document.hidden) { schedule(2000); return; }
      sl.fetchJSON(url, {method: "GET"}).then(function (p) {
        failures = 0;
        apply(p);
        schedule(nextDelay(p));
      }, function () {
        failures += 1;  // a slow or dropped connection: keep trying, less often
        text($("#bc-updated"), sl.t("connection_lost"));
        schedule(Math.min(30000, 2000 * Math.pow(2, failures)));
      });
    }

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented || !form.matches("form[data-action]") || !root.contains(form)) { return; }
      event.preventDefault();
      var button = $("button", form), errorBox = $("#bc-action-error");
      button.disabled = true;
      sl.fetchJSON(form.action, {method: "POST"}).then(function (p) {
        errorBox.hidden = true;
        apply(p);
        startedAt = Date.now();
        schedule(p.state === "sending" ? 1000 : nextDelay(p));
      }, function (err) {
        errorBox.textContent = err.message;
        errorBox.hidden = false;
        schedule(500);
      }).then(function () { button.disabled = false; });
    });

    var initial = root.getAttribute("data-state");
    if (initial === "sending") { schedule(2000); } else if (initial !== "draft") { schedule(initial === "paused" ? 10000 : 2000); }
  }

  var form = document.getElementById("bc-compose");
  if (form && window.streetlineSegments) { compose(form); }
  var root = document.getElementById("bc-progress");
  if (root) { progress(root); }
})();
