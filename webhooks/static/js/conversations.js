// Conversation page: follow new messages (polls the JSON endpoint), send replies without leaving the
// page, count characters and SMS segments. The server renders the first paint; without JS the forms post.
(function () {
  "use strict";
  var root = document.getElementById("conversation");
  if (!root) { return; }
  var thread = document.getElementById("thread");
  var form = document.getElementById("reply");
  var body = document.getElementById("reply-body");
  var count = document.getElementById("reply-count");
  var errorBox = document.getElementById("reply-error");
  var pollStatus = document.getElementById("poll-status");
  var live = root.getAttribute("data-live") === "yes";
  var afterIn = parseInt(root.getAttribute("data-after-in"), 10) || 0;
  var afterOut = parseInt(root.getAttribute("data-after-out"), 10) || 0;
  var every = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 4) * 1000;
  var failures = 0, timer = null, busy = false;
  var sl = window.streetline;

  function channelName(c) { return c === "whatsapp" ? "WhatsApp" : "SMS"; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // The same markup as the template's `message` macro; text only through textContent.
  function render(m) {
    var li = el("li", "message " + m.direction + " kind-" + m.kind);
    li.setAttribute("data-key", m.key);
    li.setAttribute("data-direction", m.direction);
    li.setAttribute("data-kind", m.kind);
    li.setAttribute("data-id", m.id);
    if (m.status) { li.setAttribute("data-status", m.status); }
    var meta = el("div", "message-meta");
    meta.appendChild(el("span", "message-label", m.label));
    meta.appendChild(document.createTextNode(" · "));
    var time = el("time", "message-time", m.at_label);
    time.setAttribute("datetime", m.at);
    meta.appendChild(time);
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(el("span", "message-channel", channelName(m.channel)));
    if (m.direction === "out") {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "message-status", (m.status_label || m.status) + (m.error_code ? " (" + m.error_code + ")" : "")));
    }
    li.appendChild(meta);
    if (m.body) { li.appendChild(el("div", "message-body", m.body)); }
    if (m.location) {
      li.appendChild(el("div", "message-extra", "📍 " + sl.t("location") + " " + m.location.lat.toFixed(5) + ", " +
                        m.location.lon.toFixed(5) + (m.location.label ? " — " + m.location.label : "")));
    }
    (m.media || []).forEach(function (type) { li.appendChild(el("div", "message-extra", "📎 " + sl.t("attached", {type: type}))); });
    return li;
  }

  function add(items) {
    var nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
    items.forEach(function (m) {
      if (thread.querySelector('[data-key="' + m.key + '"]')) { return; }
      thread.appendChild(render(m));
      if (m.direction === "in") { afterIn = Math.max(afterIn, m.id); } else { afterOut = Math.max(afterOut, m.id); }
    });
    var empty = document.getElementById("thread-empty");
    if (empty && thread.children.length) { empty.remove(); }
    root.setAttribute("data-after-in", afterIn);
    root.setAttribute("data-after-out", afterOut);
    if (items.length && nearBottom) { thread.lastElementChild.scrollIntoView({block: "end"}); }
  }

  function statuses(map) {
    Object.keys(map || {}).forEach(function (id) {
      var li = thread.querySelector('li[data-direction="out"][data-id="' + id + '"]');
      if (!li || li.getAttribute("data-status") === map[id].status) { return; }
      li.setAttribute("data-status", map[id].status);
      var span = li.querySelector(".message-status");
      if (span) { span.textContent = (map[id].status_label || map[id].status) + (map[id].error_code ? " (" + map[id].error_code + ")" : ""); }
    });
  }

  function applyState(state) {
    if (!state) { return; }
    var held = !!state.handover;
    root.setAttribute("data-handover", held ? "yes" : "no");
    root.setAttribute("data-opted-out", state.opted_out ? "yes" : "no");
    document.getElementById("take-over").hidden = held;
    document.getElementById("hand-back").hidden = !held;
    var box = document.getElementById("handover-state");
    box.setAttribute("data-state", held ? "organizer" : "bot");
    box.textContent = "";
    if (held) {
      box.appendChild(el("strong", null, state.handover.mine ? sl.t("you_have")
                                          : sl.t("someone_has", {name: state.handover.by || sl.t("an_organizer")})));
      box.appendChild(document.createTextNode(" " + sl.t("bot_silent_until", {time: state.handover.expires_label})));
    } else {
      box.appendChild(el("strong", null, sl.t("bot_answers")));
      box.appendChild(document.createTextNode(" " + sl.t("take_over_hint")));
    }
    var win = document.getElementById("window-state");
    if (win && state.whatsapp_window_label) {
      win.setAttribute("data-window", "open");
      win.textContent = sl.t("window_open_until", {time: state.whatsapp_window_label});
    } else if (win && win.getAttribute("data-window") === "open") {
      win.setAttribute("data-window", "closed");
      win.textContent = sl.t("window_closed");
    }
    body.disabled = !state.can_reply;
    document.getElementById("reply-send").disabled = !state.can_reply;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) { schedule(every); return; }
    var url = root.getAttribute("data-poll-url") + "?after_in=" + afterIn + "&after_out=" + afterOut;
    window.streetline.fetchJSON(url).then(function (data) {
      failures = 0;
      add(data.items || []);
      statuses(data.statuses);
      applyState(data.state);
      pollStatus.textContent = sl.t("updated_at", {time: sl.time(new Date())});
      schedule(every);
    }).catch(function () {
      failures += 1;
      pollStatus.textContent = sl.t("offline_retrying");
      schedule(Math.min(60000, every * Math.pow(2, failures)));  // back off on a bad connection
    });
  }

  function updateCount() {
    var text = body.value;
    var sms = root.getAttribute("data-channel") !== "whatsapp";
    var parts = "";
    if (sms && window.streetlineSegments && text.trim()) {
      var info = window.streetlineSegments.sms(text);
      parts = " · " + sl.t(info.encoding === "UCS-2" ? "sms_parts_unicode" : "sms_parts", {n: info.segments});
    }
    count.textContent = sl.t("characters_of", {n: text.length, max: body.getAttribute("maxlength")}) + parts;
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var text = body.value;
    if (!text.trim()) { showError(sl.t("write_first")); return; }
    busy = true;
    var button = document.getElementById("reply-send");
    button.disabled = true;
    showError("");
    window.streetline.fetchJSON(root.getAttribute("data-reply-url"), {
      method: "POST", body: JSON.stringify({body: text}), headers: {"Content-Type": "application/json"},
    }).then(function (data) {
      if (data.item) { add([data.item]); }
      applyState(data.state);
      body.value = "";
      updateCount();
    }).catch(function (error) {
      showError(error.message);
      if (live) { poll(); }  // a failed send is still recorded: show it
    }).then(function () {
      busy = false;
      button.disabled = body.disabled;
    });
  });

  body.addEventListener("input", updateCount);
  updateCount();
  if (live) {
    schedule(every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { schedule(0); } });
  }
})();
