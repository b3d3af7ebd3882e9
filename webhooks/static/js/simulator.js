// The phone simulator: an SMS basic phone or a WhatsApp chat, sending through the real signed webhook
// (POST /simulator/send) and polling what the line pushes (GET /simulator/messages) every 2 s.
(function () {
  "use strict";
  var root = document.getElementById("simulator");
  if (!root) { return; }
  var list = document.getElementById("sim-messages");
  var body = document.getElementById("sim-body");
  var counter = document.getElementById("sim-counter");
  var errorBox = document.getElementById("sim-error");
  var pollState = document.getElementById("sim-poll");
  var number = document.getElementById("sim-number");
  var sendButton = document.getElementById("sim-send");
  var shown = {};  // key -> li
  var outbox = root.getAttribute("data-outbox") || "0";
  var pollMs = parseInt(root.getAttribute("data-poll-ms"), 10) || 2000;
  var busy = false;

  // GSM-7 tables, as content/sms.py: counts for the draft (the server's figures are shown on replies).
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "\f^{}\\[~]|€";

  function mode() { return root.getAttribute("data-mode"); }

  function draftInfo(text) {
    var gsm = true, units = 0, i, c;
    var chars = Array.from(text);
    for (i = 0; i < chars.length; i++) {
      c = chars[i];
      if (GSM.indexOf(c) >= 0) { units += 1; } else if (GSM_EXT.indexOf(c) >= 0) { units += 2; } else { gsm = false; }
    }
    if (!gsm) { units = text.length; }  // UTF-16 code units
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return {encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments, chars: chars.length};
  }

  function updateCounter() {
    var info = draftInfo(body.value);
    var t = window.streetline.t;
    if (mode() === "sms") {
      counter.textContent = t("sim_counter_sms", {chars: info.chars, encoding: info.encoding, segments: info.segments});
    } else {
      counter.textContent = t("sim_chars", {n: info.chars});
    }
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  // "1 char" / "2 chars": the page's strings carry both forms (key_one, key).
  function plural(n, key) { return window.streetline.t(n === 1 ? key + "_one" : key, {n: n}); }

  function metaText(m) {
    var t = window.streetline.t;
    if (!m.chars) {
      if (m.latitude !== undefined && m.latitude !== null) { return t("location"); }
      if (m.media_urls && m.media_urls.length) { return t("photo"); }
    }
    if (m.channel === "sms") {
      var text = plural(m.chars, "sim_chars") + " · " + m.encoding + " · " + plural(m.segments, "sim_segments") +
        " · " + t(m.encoding === "GSM-7" ? "sim_septets" : "sim_units", {n: m.units});
      if (m.ucs2_chars && m.ucs2_chars.length) { text += " · " + t("sim_ucs2_because", {chars: m.ucs2_chars.join(" ")}); }
      return text;
    }
    return plural(m.chars, "sim_chars");
  }

  // WhatsApp's *bold* and _italic_, built as DOM nodes (never innerHTML).
  function formatted(parent, text, channel) {
    if (channel !== "whatsapp") { parent.textContent = text; return; }
    var pattern = /\*([^*\n]+)\*|_([^_\n]+)_/g, last = 0, match, node;
    while ((match = pattern.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      node = document.createElement(match[1] !== undefined ? "strong" : "em");
      node.textContent = match[1] !== undefined ? match[1] : match[2];
      parent.appendChild(node);
      last = pattern.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(m) {
    if (!m || !m.key) { return; }
    var li = shown[m.key];
    if (li) {  // seen already: only the delivery status moves on
      var known = li.querySelector(".sim-status");
      if (m.status && known) { li.setAttribute("data-status", m.status); known.textContent = m.status; }
      return;
    }
    li = document.createElement("li");
    li.className = "sim-msg " + (m.direction === "out" ? "sim-out" : "sim-in");
    li.setAttribute("data-key", m.key);
    li.setAttribute("data-direction", m.direction);
    li.setAttribute("data-kind", m.kind);
    li.setAttribute("data-channel", m.channel);
    li.setAttribute("data-chars", m.chars);
    if (m.channel === "sms") {
      li.setAttribute("data-encoding", m.encoding);
      li.setAttribute("data-segments", m.segments);
      li.setAttribute("data-units", m.units);
    }
    if (m.status) { li.setAttribute("data-status", m.status); }
    if (m.latitude !== undefined && m.latitude !== null) {
      var pin = document.createElement("div");
      pin.className = "sim-pin";
      pin.textContent = "📍 " + (m.label ? m.label + " " : "") + "(" + m.latitude + ", " + m.longitude + ")";
      li.appendChild(pin);
    }
    (m.media_urls || []).forEach(function (url) {
      var img = document.createElement("img");
      img.className = "sim-photo";
      img.alt = window.streetline.t("photo");
      img.src = url;
      li.appendChild(img);
    });
    if (m.body) {
      var text = document.createElement("div");
      text.className = "sim-text";
      formatted(text, m.body, m.channel);
      li.appendChild(text);
    }
    var meta = document.createElement("div");
    meta.className = "sim-meta";
    meta.textContent = metaText(m) + (m.kind === "pushed" ? " · " + window.streetline.t("pushed") + " · " : "");
    if (m.kind === "pushed") {
      var status = document.createElement("span");
      status.className = "sim-status";
      status.textContent = m.status || "";
      meta.appendChild(status);
    }
    li.appendChild(meta);
    shown[m.key] = li;
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function setMode(value) {
    root.setAttribute("data-mode", value);
    updateCounter();
    list.scrollTop = list.scrollHeight;
  }

  function send(payload) {
    if (busy) { return Promise.resolve(); }
    busy = true;
    sendButton.disabled = true;
    showError("");
    var options = {method: "POST"};
    if (payload instanceof FormData) {
      options.body = payload;
    } else {
      options.body = JSON.stringify(payload);
      options.headers = {"Content-Type": "application/json"};
    }
    return window.streetline.fetchJSON(root.getAttribute("data-send-url"), options).then(function (answer) {
      render(answer.sent);
      answer.replies.forEach(render);
      if (!answer.replies.length) {  // e.g. an organizer has taken over the conversation
        var note = document.createElement("li");
        note.className = "sim-note";
        note.setAttribute("data-kind", "none");
        note.setAttribute("data-channel", answer.sent.channel);
        note.textContent = window.streetline.t("no_reply");
        list.appendChild(note);
      }
      return true;
    }).catch(function (error) {
      showError(error.message);
      return false;
    }).finally(function () {
      busy = false;
      sendButton.disabled = false;
    });
  }

  function common() {
    return {channel: mode(), to: document.getElementById("sim-to").value,
            profile_name: document.getElementById("sim-profile").value};
  }

  document.getElementById("sim-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var payload = common();
    payload.body = body.value;
    send(payload).then(function (ok) { if (ok) { body.value = ""; updateCounter(); } });
  });
  body.addEventListener("input", updateCounter);
  body.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      document.getElementById("sim-form").requestSubmit();
    }
  });

  document.getElementById("sim-place").addEventListener("change", function (event) {
    var option = event.target.selectedOptions[0];
    document.getElementById("sim-lat").value = option.getAttribute("data-lat") || "";
    document.getElementById("sim-lon").value = option.getAttribute("data-lon") || "";
  });
  document.getElementById("sim-location-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var payload = common();
    payload.place = document.getElementById("sim-place").value;
    payload.latitude = document.getElementById("sim-lat").value;
    payload.longitude = document.getElementById("sim-lon").value;
    payload.label = document.getElementById("sim-label").value;
    payload.body = "";
    send(payload);
  });
  document.getElementById("sim-photo-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("sim-photo");
    if (!input.files.length) { showError(window.streetline.t("choose_photo")); return; }
    var data = new FormData();
    var fields = common();
    Object.keys(fields).forEach(function (k) { data.append(k, fields[k]); });
    data.append("body", body.value);
    data.append("photo", input.files[0]);
    send(data).then(function (ok) { if (ok) { input.value = ""; body.value = ""; updateCounter(); } });
  });

  Array.prototype.forEach.call(document.querySelectorAll('input[name="channel"]'), function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { setMode(radio.value); } });
  });

  document.getElementById("sim-new-phone").addEventListener("click", function () {
    window.streetline.fetchJSON(root.getAttribute("data-phone-url"), {method: "POST"}).then(function (answer) {
      root.setAttribute("data-phone", answer.phone);
      number.setAttribute("data-phone", answer.phone);
      number.textContent = answer.phone;
      outbox = String(answer.outbox);
      root.setAttribute("data-outbox", outbox);
      list.textContent = "";
      shown = {};
      showError("");
    }).catch(function (error) { showError(error.message); });
  });

  function poll() {
    if (document.hidden) {
      pollState.setAttribute("data-state", "paused");
      window.setTimeout(poll, pollMs);
      return;
    }
    var phone = root.getAttribute("data-phone");
    var url = root.getAttribute("data-poll-url") + "?phone=" + encodeURIComponent(phone) + "&outbox=" + encodeURIComponent(outbox);
    window.streetline.fetchJSON(url, {method: "GET"}).then(function (answer) {
      if (answer.phone !== root.getAttribute("data-phone")) { return; }  // a new phone since
      outbox = String(answer.outbox);
      root.setAttribute("data-outbox", outbox);
      answer.messages.forEach(render);
      pollState.setAttribute("data-state", "ok");
      pollState.textContent = "";
    }).catch(function () {
      pollState.setAttribute("data-state", "error");
      pollState.textContent = window.streetline.t("offline");
    }).finally(function () { window.setTimeout(poll, pollMs); });
  }

  JSON.parse(document.getElementById("sim-history").textContent || "[]").forEach(render);
  updateCounter();
  window.setTimeout(poll, pollMs);
})();
