// SMS segment counter: the browser twin of content/sms.py (GSM-7 / UCS-2, 3GPP TS 23.038 / 23.040 as
// Twilio applies them) plus Twilio-style smart encoding of look-alike characters. Kept in step with the
// Python module by tests/dashboard/test_segments_js.py, which runs this file under node on the same strings.
//
//   streetlineSegments.info(text)  -> {encoding: "GSM-7"|"UCS-2", segments, units, limit}
//   streetlineSegments.smartEncode(text), .nonGsm7(text) -> [[index, char], ...], .pyStrip(text),
//   streetlineSegments.sms(text)   -> what a broadcast sends by SMS: stripped, smart-encoded, counted.
(function (root) {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";
  var GSM7_SINGLE = 160, GSM7_MULTI = 153, UCS2_SINGLE = 70, UCS2_MULTI = 67;
  var basic = {}, extension = {}, i;
  for (i = 0; i < BASIC.length; i++) { basic[BASIC[i]] = true; }
  for (i = 0; i < EXTENSION.length; i++) { extension[EXTENSION[i]] = true; }

  // Look-alikes -> GSM-7 (content/sms.py _SMART), only replacements that keep the meaning.
  var SMART = {};
  [
    ["\u201c\u201d\u201e\u201f\u2033\u2036\u301d\u301e\u02ba\u02ee\u275d\u275e\u00ab\u00bb", '"'],
    ["\u2018\u2019\u201a\u201b\u2032\u2035\u02b9\u02bb\u02bc\u02bd\u02be\u02bf\u02c8\u02ca\u02cb\u275b\u275c`\u00b4", "'"],
    ["\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u2043", "-"],
    ["\u2022\u00b7\u2219\u25cf\u25e6\u2023", "-"],
    ["\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t", " "],
    ["\u200b\u200c\u200d\u2060\ufeff\u00ad", ""],
    ["\u2028\u2029\u0085", "\n"],
    ["\u2039", "<"],
    ["\u203a", ">"],
    ["\u2044\u2215", "/"],
    ["\u02c6\u2038", "^"],
    ["\u02dc", "~"]
  ].forEach(function (pair) {
    for (var k = 0; k < pair[0].length; k++) { SMART[pair[0][k]] = pair[1]; }
  });
  var MORE = {"\u2026": "...", "\u2025": "..", "\u00bc": "1/4", "\u00bd": "1/2", "\u00be": "3/4",
              "\u2122": "TM", "\u00a9": "(c)", "\u00ae": "(R)", "\u00d7": "x", "\u00f7": "/",
              "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u00b1": "+/-"};
  Object.keys(MORE).forEach(function (k) { SMART[k] = MORE[k]; });
  for (var cp = 0xFF01; cp < 0xFF5F; cp++) {  // full-width ASCII
    var c = String.fromCharCode(cp);
    if (!(c in SMART)) { SMART[c] = String.fromCharCode(cp - 0xFEE0); }
  }

  // Python's str.isspace() characters, so pyStrip() matches str.strip() (the service strips texts).
  var SPACE = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

  function chars(text) { return Array.from(text || ""); }  // code points, like a Python str

  function isGsm7Char(ch) { return basic[ch] === true || extension[ch] === true; }

  function smartEncode(text) {
    return chars(text).map(function (ch) {
      return Object.prototype.hasOwnProperty.call(SMART, ch) ? SMART[ch] : ch;
    }).join("");
  }

  function nonGsm7(text) {
    var out = [];
    chars(text).forEach(function (ch, index) { if (!isGsm7Char(ch)) { out.push([index, ch]); } });
    return out;
  }

  function unitCosts(list) {
    var gsm = list.every(isGsm7Char);
    return {
      encoding: gsm ? "GSM-7" : "UCS-2",
      costs: list.map(function (ch) {
        if (gsm) { return extension[ch] ? 2 : 1; }
        return ch.codePointAt(0) > 0xFFFF ? 2 : 1;
      })
    };
  }

  function pack(costs, size) {  // greedy split, never splitting an escape pair or a surrogate pair
    var parts = [], start = 0, used = 0;
    for (var k = 0; k < costs.length; k++) {
      if (used + costs[k] > size) { parts.push([start, k]); start = k; used = 0; }
      used += costs[k];
    }
    parts.push([start, costs.length]);
    return parts;
  }

  function info(text) {
    var list = chars(text), u = unitCosts(list);
    var units = u.costs.reduce(function (a, b) { return a + b; }, 0);
    var gsm = u.encoding === "GSM-7";
    var single = gsm ? GSM7_SINGLE : UCS2_SINGLE, multi = gsm ? GSM7_MULTI : UCS2_MULTI;
    var segments = units === 0 ? 0 : (units <= single ? 1 : pack(u.costs, multi).length);
    return {encoding: u.encoding, segments: segments, units: units, limit: single, characters: list.length};
  }

  function pyStrip(text) { return (text || "").replace(SPACE, ""); }

  // What a broadcast sends by SMS for this textarea value (bot/broadcasts/service.py cost()).
  function sms(text) {
    var sent = smartEncode(pyStrip(text));
    var result = info(sent);
    result.text = sent;
    result.forcing = nonGsm7(sent).map(function (pair) { return pair[1]; })
      .filter(function (ch, k, all) { return all.indexOf(ch) === k; });
    return result;
  }

  var api = {info: info, smartEncode: smartEncode, nonGsm7: nonGsm7, pyStrip: pyStrip, sms: sms,
             isGsm7: function (text) { return chars(text).every(isGsm7Char); }};
  if (typeof module !== "undefined" && module.exports) { module.exports = api; } else { root.streetlineSegments = api; }
})(this);
