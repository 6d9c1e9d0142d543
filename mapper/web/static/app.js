// The pages of mapper serve's web UI. No framework, nothing fetched from elsewhere.
// Every element is built with createElement and textContent: whatever a user typed or
// sent (names, keys, paths, values) is shown as text, never read as HTML, and through
// safeText(): a character that would reorder or hide the text around it is shown escaped.
"use strict";

(function () {
  // ------------------------------------------------------------------ helpers

  function $(id) {
    return document.getElementById(id);
  }

  // Characters that reorder or hide the text around them, shown as their escape (\u202e):
  // bidirectional controls (a value or a key sent by anyone could make what follows it read
  // backwards, "Trojan Source"), zero-width and invisible characters (the soft hyphen, the
  // Hangul fillers drawn as a blank, the deprecated format controls, the musical formatting
  // ones), the interlinear annotation controls, tag characters (text no one sees), line and
  // paragraph separators, DEL and the C1 controls. Joiners (ZWJ, ZWNJ) and variation selectors,
  // which emoji and scripts need, are left. Every text the pages show goes through safeText();
  // what a user types in a field is left as typed. The command line's messages escape the same list.
  var HIDDEN = /[\x7f-\x9f\xad\u034f\u061c\u115f-\u1160\u17b4-\u17b5\u180e\u200b\u200e-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udc7f]/g;  // (mapper.errors.HIDDEN_RANGES: served as written there, see mapper/web/app.py)

  function safeText(text) {
    return String(text).replace(HIDDEN, function (c) {
      var out = "";
      for (var i = 0; i < c.length; i++) out += "\\u" + ("000" + c.charCodeAt(i).toString(16)).slice(-4);
      return out;
    });
  }

  // el("td", {className: "x", title: "y"}, "text", otherNode): children are strings (text) or nodes.
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null) return;
        if (key === "textContent" || key === "title") {
          node[key] = safeText(value);
        } else if (key === "className" || key === "value" || key === "htmlFor" || key === "id" ||
            key === "type" || key === "disabled" || key === "checked" || key === "href" ||
            key === "name" || key === "selected" || key === "required") {
          node[key] = value;
        } else {
          node.setAttribute(key, String(value));
        }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(typeof child === "string" ? textNodes(child) : typeof child === "number" ? document.createTextNode(safeText(child)) : child);
    }
    return node;
  }

  // A message into ``node``: its first line as text, the lines after it (a copy of the text it
  // is about with a caret under the place, as mapper check draws them) kept as they are, in a
  // monospaced block, so the caret stands under its character ("a..b ^" ran on one line).
  function putMessage(node, text) {
    var lines = String(text).split("\n");
    node.appendChild(textNodes(lines[0]));
    if (lines.length > 1) node.appendChild(el("span", { className: "caret" }, lines.slice(1).join("\n")));
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // The same text again leaves the node as it is: a refresh must not drop what a user has
  // selected in it (the curl line, a last error being copied).
  function putText(node, text) {
    if (node.textContent === safeText(text)) return;
    if (RTL.test(String(text))) clear(node).appendChild(textNodes(text));
    else node.textContent = safeText(text);
  }

  function setText(id, text) {
    var node = $(id);
    if (node) putText(node, text || "");
  }

  // Right-to-left letters: Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic (U+0590-U+08FF),
  // their presentation forms, and the astral right-to-left blocks (U+10800-U+10FFF, U+1E800-U+1EEFF).
  var RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]|[\ud802\ud803\ud83a][\udc00-\udfff]|\ud83b[\udc00-\udeff]/;
  var JSON_STRING = /"((?:[^"\\]|\\.)*)"/g;
  // a key of a path in dot notation (data.aircraftId, "a.b".c, $.data.lat): quoted, or the characters between dots
  var PATH_KEY = /"((?:[^"\\]|\\.)*)"|([^."]+)/g;

  // JSON text (a value, a record, a body) as nodes, each string's characters that hold a
  // right-to-left letter in an isolate of their own (<bdi>): drawn as one run, the strings of a
  // JSON text swapped places (a record whose Hebrew key held an Arabic value read as the value
  // first, then the key; a set of two Hebrew words, its second first). Text with no such letter
  // is one text node.
  function jsonNodes(text) {
    return isolated(text, JSON_STRING);
  }

  // A path in dot notation as nodes, each key holding a right-to-left letter in an isolate of its
  // own: the path of two Hebrew keys read as the second key first.
  function pathNodes(text) {
    return isolated(text, PATH_KEY);
  }

  // ``text`` as nodes, each part ``pattern`` finds (its first group, else its second) that holds a
  // right-to-left letter in a <bdi>; everything through safeText().
  function isolated(text, pattern) {
    var raw = text === undefined || text === null ? "" : String(text);
    var out = document.createDocumentFragment();
    var at = 0;
    if (RTL.test(raw)) {
      pattern.lastIndex = 0;
      for (var m = pattern.exec(raw); m !== null; m = pattern.exec(raw)) {
        var part = m[1] !== undefined ? m[1] : m[2];
        if (!RTL.test(part)) continue;
        var from = m.index + (m[1] !== undefined ? 1 : 0);
        out.appendChild(document.createTextNode(safeText(raw.slice(at, from))));
        out.appendChild(el("bdi", null, document.createTextNode(safeText(part))));  // (its quotes not looked into again)
        at = from + part.length;
      }
    }
    out.appendChild(document.createTextNode(safeText(raw.slice(at))));
    return out;
  }

  // Text as the pages show it (a message, a name, a note) as nodes: each part it quotes (in
  // "double" or 'single' quotes, or `backticks`, as the service's and mapper's messages quote
  // keys, values, columns and paths) that holds a right-to-left letter in an isolate of its
  // own, the text around it as it is. Drawn as one run, a quoted key and the words or numbers
  // after it swapped places ("arrays of objects are at `\u05d0\u05d1` (30 objects)" read
  // "(30 objects)" first); the whole message isolated would have drawn its English
  // right-to-left. A backticked part is code (a path, a jq filter): each of its keys apart, as
  // pathNodes() does. Text with no such letter is one text node.
  function textNodes(text) {
    var raw = text === undefined || text === null ? "" : String(text);
    if (!RTL.test(raw)) return document.createTextNode(safeText(raw));
    var out = document.createDocumentFragment();
    var at = 0;
    var quoted = new RegExp(QUOTED);  // (its own lastIndex: nothing it calls resets it)
    for (var m = quoted.exec(raw); m !== null; m = quoted.exec(raw)) {
      var code = m[1] !== undefined;
      var part = code ? m[1] : m[2] !== undefined ? m[2] : m[4];
      if (!RTL.test(part)) continue;
      var from = m.index + (m[3] || "").length + 1;
      out.appendChild(document.createTextNode(safeText(raw.slice(at, from))));
      out.appendChild(code ? isolated(part, PATH_KEY) : el("bdi", null, document.createTextNode(safeText(part))));
      at = from + part.length;
    }
    out.appendChild(document.createTextNode(safeText(raw.slice(at))));
    return out;
  }

  // A part a message quotes: `code`, "text" (a JSON string: its escapes kept whole) or 'text'
  // (a Python repr: an apostrophe inside a word, "the source's", opens none; the character before it
  // is matched, not looked behind at: Safari before 16.4 cannot parse a lookbehind, and the whole script failed)
  var QUOTED = /`([^`\n]*)`|"((?:[^"\\\n]|\\.)*)"|(^|[^\p{L}\p{N}])'((?:[^'\\\n]|\\.)*)'(?![\p{L}\p{N}])/gu;

  // putText() of JSON text: the same text again leaves the node (and a selection in it) as it is.
  function putJson(node, text) {
    if (node.textContent !== safeText(text)) clear(node).appendChild(jsonNodes(text));
  }

  // A button busy with its request: marked so (aria-disabled) and deaf to clicks, but not
  // disabled, which would throw the keyboard's focus out of it and back to the top of the page.
  function setBusy(button, busy) {
    if (busy) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }

  function isBusy(button) {
    return button.getAttribute("aria-disabled") === "true";
  }

  // Disable a button; when it had the focus, the focus goes to ``other`` (the pager's other
  // button) instead of falling back to the top of the page.
  function setDisabled(button, disabled, other) {
    var had = disabled && document.activeElement === button;
    button.disabled = disabled;
    if (had && other && !other.disabled) other.focus();
  }

  // Counts written as "5,002", as the service's and the command line's messages write them
  // ("1,234 of 2,000 records refused"): records stored and refused, rows, a paste's records,
  // a value's characters. One formatter for them all: Number's toLocaleString("en") makes one
  // a call (the labels of a page of 25 rows of 1,100 columns, 27,500 values cut, took ~0.35 s
  // of its drawing so; ~0.02 s with one).
  var COUNT = new Intl.NumberFormat("en");

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  // ------------------------------------------------------------------ the service

  var TOKEN_KEY = "mapper-serve-token";
  var config = { token_required: false };
  var pageToken = "";  // the token given, where the tab cannot keep it (private mode): it lasts this page

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || pageToken; } catch (e) { return pageToken; }
  }

  // A 401 (no token, or a wrong one) stops the page's refreshes until a token is given in the
  // token box: each refresh asked again, was refused again and showed the token box again, for
  // as long as the tab was open. What would have been asked again then waits (``waiting``),
  // and is asked once a token is given, the page as it was (no reload).
  var wantToken = false;
  var waiting = [];

  // setTimeout for what a page asks again: held while the service wants its token.
  function later(fn, ms) {
    return setTimeout(function () {
      if (!wantToken) fn();
      else if (waiting.indexOf(fn) < 0) waiting.push(fn);
    }, ms);
  }

  function tokenGiven() {
    wantToken = false;
    var go = waiting;
    waiting = [];
    go.forEach(function (fn) { fn(); });
  }

  // The token as a header carries it: its UTF-8 bytes, a character each. fetch() takes a
  // header's characters as Latin-1 bytes and throws on one beyond (a token typed with a
  // "€" made every request of the tab throw, the token box hidden); serve compares the bytes
  // sent with the token's UTF-8 (or Latin-1) bytes, as curl sends them.
  function tokenHeader(t) {
    var bytes = new TextEncoder().encode(t), out = "";
    for (var i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
    return /[\0\r\n]/.test(out) ? null : out;  // (no header carries these: sent without, the service asks for the token)
  }

  // A proxy in the way, or another server at this address: its answer said as such.
  var NOT_OURS = "(is a proxy, or another server, answering at this address?)";

  function isObject(data) {
    return data !== null && typeof data === "object" && !Array.isArray(data);
  }

  // What a 2xx answer that is not the route's JSON is ("" when it is): its text empty, not
  // JSON, not an object, or without a key the page reads (``expect``: key -> "array",
  // "object" or "any"). The page read on into it and threw ("Status: undefined").
  function notTheRoutes(text, data, expect) {
    if (!text) return "it is empty";
    if (!isObject(data)) return "it begins " + text.slice(0, 200);
    var missing = Object.keys(expect || {}).filter(function (key) {
      var v = data[key];
      if (expect[key] === "array") return !Array.isArray(v);
      if (expect[key] === "object") return !isObject(v);
      return v === undefined;
    });
    return missing.length ? "it has no " + missing.map(function (k) { return JSON.stringify(k); }).join(", ") : "";
  }

  // A request that got no answer (the service stopped or restarting, the network down), said as a
  // user reads it: fetch() rejects with a TypeError whose text names no cause ("Cannot reach the
  // service: TypeError: Failed to fetch" was shown). api() marks its rejection ``unreachable``;
  // another error (a page's own) is said by its message, without the JavaScript error's name.
  function reachFailure(err) {
    var why = err && err.unreachable ? "the connection failed (is mapper serve running?)" : (err && err.message) || String(err);
    return "Cannot reach the service at " + location.origin + ": " + why;
  }

  // fetch a JSON route: resolves {status, ok, data, said}; data is the parsed answer (or null);
  // said: what serviceError() says of an answer that is not the service's (a proxy's page, an
  // error without a body), else undefined. A 2xx answer that is not the route's JSON (see
  // notTheRoutes) resolves not ok.
  function api(method, path, body, expect) {
    var headers = { "Accept": "application/json" };
    var t = token();
    var sent = t ? tokenHeader(t) : null;
    if (sent) headers["Authorization"] = "Bearer " + sent;
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    return fetch(path, init).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        var res = { status: resp.status, ok: resp.ok, data: data };
        var status = resp.status + (resp.statusText ? " " + resp.statusText : "");
        if (resp.ok) {
          var wrong = notTheRoutes(text, data, expect);
          if (wrong) {
            res.ok = false;
            res.said = "The answer to " + method + " " + path.split("?")[0] + " is not the service's JSON " + NOT_OURS + ": " + wrong;
          }
        } else if (!text) {
          res.said = "The service answered " + status + ", without a message.";
        } else if (!isObject(data) || typeof data.message !== "string") {
          res.said = "The service answered " + status + ", not in the service's JSON " + NOT_OURS + ": it begins " + text.slice(0, 200);
        }
        if (!isObject(res.data)) res.data = null;
        if (resp.status === 401) {
          wantToken = true;
          showTokenBox(res.data && res.data.message);
        }
        return res;
      });
    }, function (err) {  // no answer at all: see reachFailure
      var failure = new Error(String(err && err.message || err));
      failure.unreachable = true;
      throw failure;
    });
  }

  // "400 InvalidParameter: message" of an error answer.
  function serviceError(res) {
    if (res.said) return res.said;
    var d = res.data || {};
    return "The service answered " + res.status + " " + (d.code || "") + ": " + (d.message || "");
  }

  function showTokenBox(message) {
    var box = $("token-box");
    if (!box) return;
    box.hidden = false;
    if (message) setText("token-hint", message + " - this service needs its token (mapper serve --token-env); it is kept in this tab only. The page asks the service again once it is given.");
  }

  function setupToken() {
    var box = $("token-box");
    if (!box) return;
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      pageToken = $("token").value;
      try { sessionStorage.setItem(TOKEN_KEY, pageToken); } catch (e) { /* private mode: the token lasts this page */ }
      box.hidden = true;  // (shown again by a 401: a wrong token)
      setText("load-error", "");  // (the refusal said: asked again now)
      tokenGiven();
    });
  }

  // How often a page refreshes what it shows (the service's refresh_seconds, 3 s unless
  // mapper.web.install was given another), and how often while a source is CREATING.
  function refreshMs() {
    var s = Number(config.refresh_seconds);
    return s > 0 && s <= 2147483 ? s * 1000 : 3000;  // (a timer past 2^31 - 1 ms fires at once)
  }

  function creatingMs() {
    return Math.min(500, refreshMs());
  }

  function loadConfig() {
    return api("GET", "/ui/api/config", undefined, { token_required: "any" }).then(function (res) {
      if (res.ok && res.data) config = res.data;
      if (config.token_required && !token()) showTokenBox();
      return config;
    });
  }

  var catalog = { databases: [] };

  // Resolves to the service's error answer (null when the catalog came): a refusal (401,
  // the token) is not an empty catalog.
  function loadCatalog() {
    return api("GET", "/ui/api/catalog", undefined, { databases: "array" }).then(function (res) {
      if (res.ok && res.data) catalog = res.data;
      return res.ok ? null : res;
    });
  }

  function databaseName(id) {
    for (var i = 0; i < catalog.databases.length; i++) {
      if (catalog.databases[i].id === id) return catalog.databases[i].name;
    }
    return id || "";
  }

  // A value of a source's sink_details that is a placeholder names nothing: a source made
  // from a definition file that gave no database or table (mapper serve SCHEMA.json) holds
  // "<database_id>" and "<table>", as mapper infer writes them (sink.py's PLACEHOLDER).
  var PLACEHOLDER = /^<[A-Za-z_][A-Za-z0-9_ -]*>$/;

  // [text, title] of a database id or table name: "(not given)", and why, for a placeholder or none.
  function detail(value, shown, what) {
    if (typeof value === "string" && value !== "" && !PLACEHOLDER.test(value)) return [shown, null];
    return ["(not given)", "The source's definition gives no " + what +
      (value ? " (its sink_details holds the placeholder " + value + ")" : "") + "."];
  }

  // Put detail()'s text and title on a node (a table cell, a <dd>), marked as no value when not given.
  function putDetail(node, shown) {
    putText(node, shown[0]);
    if (shown[1] === null) {
      node.removeAttribute("title");
      node.classList.remove("missing");
    } else {
      if (node.title !== safeText(shown[1])) node.title = safeText(shown[1]);
      node.classList.add("missing");
    }
  }

  function statusNode(state) {
    return el("span", { className: "status status-" + String(state).toLowerCase() }, String(state));
  }

  // ------------------------------------------------------------------ Data Sources

  function sourcesPage() {
    var params = new URLSearchParams(location.search);
    var created = params.get("created");
    // the notice of a source just created says the state the list shows (a reload, or a
    // bookmark, of ?created= comes back to a source long ACTIVE, or gone)
    function createdNotice(sinks) {
      if (!created) return;
      var made = null;
      sinks.forEach(function (s) { if (s.id === created) made = s; });
      var name = made && (made.name || made.id);
      var text = !made ? "" : made.state === "ACTIVE" ? "Source " + name + " was created: it is ACTIVE."
        : "Source " + name + " is being created: it is " + made.state + " for a few moments, then ACTIVE.";
      if ($("notice").textContent !== safeText(text)) setText("notice", text);  // (a live region: said again only when it changes)
    }
    var timer = null;
    var rows = Object.create(null);  // sink id -> its <tr>, kept from one refresh to the next

    // Each refresh updates the rows in place, cell by cell: a rebuilt table took a focused
    // source link (and a selection) with it every few seconds.
    function showSources(sinks) {
      var body = $("sources").tBodies[0];
      var seen = Object.create(null);
      var before = body.firstChild;
      sinks.forEach(function (s) {
        var details = s.sink_details || {};
        seen[s.id] = true;
        var tr = rows[s.id];
        if (!tr) {
          tr = rows[s.id] = el("tr", { "data-sink": s.id },
            el("th", { scope: "row" }, el("a", { href: "/ui/sources/" + encodeURIComponent(s.id) })),
            el("td", { className: "database" }), el("td", { className: "table" }), el("td", { className: "state" }),
            el("td", { className: "num stored" }), el("td", { className: "num refused" }), el("td", { className: "last-error" }));
        }
        if (tr !== before) body.insertBefore(tr, before);
        before = tr.nextSibling;
        var cells = tr.cells;
        putText(cells[0].firstChild, s.name || s.id);
        putDetail(cells[1], detail(details.database_id, databaseName(details.database_id), "database"));
        putDetail(cells[2], detail(details.table, details.table, "table"));
        putText(cells[4], COUNT.format(s.counts.records_stored));
        putRefused(cells[5], s);
        putText(cells[6], s.last_error || "");
        var when = s.last_error ? "Last error" + (s.last_error_at ? " (" + s.last_error_at + ")" : "") : "";  // (as the refused count's title says its time)
        if (cells[6].title !== safeText(when)) cells[6].title = safeText(when);
        if (cells[3].getAttribute("data-state") !== String(s.state)) {
          cells[3].setAttribute("data-state", String(s.state));
          clear(cells[3]).appendChild(statusNode(s.state));
        }
      });
      Object.keys(rows).forEach(function (id) {
        if (!seen[id]) { body.removeChild(rows[id]); delete rows[id]; }
      });
    }

    // Records refused: the count, and (once any was refused) a link to the source's "Last
    // records refused", titled with it: the list said how many and never why. Updated in place,
    // as the row's other cells: a focused link survives a refresh.
    function putRefused(cell, s) {
      var n = COUNT.format(s.counts.records_refused);
      var link = cell.firstChild && cell.firstChild.nodeName === "A" ? cell.firstChild : null;
      if (n === "0") {
        if (link || cell.textContent !== "0") putText(clear(cell), n);
        return;
      }
      if (!link) link = clear(cell).appendChild(el("a", { className: "refused-why" }));
      var href = "/ui/sources/" + encodeURIComponent(s.id) + "#last-refused";
      if (link.getAttribute("href") !== href) link.setAttribute("href", href);
      putText(link, n);
      var why = s.last_refused ? "Last records refused" + (s.last_refused_at ? " (" + s.last_refused_at + ")" : "") + ": " + s.last_refused
        : "See the source's details";
      if (link.title !== safeText(why)) link.title = safeText(why);
    }

    // The catalog (the databases' names) is asked again with each refresh until it comes: a
    // first request that failed (the service restarting) left database ids in the list for good.
    var catalogCame = false;

    function askCatalog() {
      return catalogCame ? Promise.resolve() : loadCatalog().then(function (refused) { catalogCame = !refused; }, function () {});
    }

    // Said after an error when a list is shown: the service stopped under the page, its sources
    // stayed on show below the error, their counts and states as if current.
    function lastListed() {
      return $("sources").hidden ? "" : "; the sources below are as the service last listed them (asked again every " + refreshMs() / 1000 + " s).";
    }

    function refresh() {
      askCatalog().then(function () {
        return api("GET", "/v2/sinks", undefined, { sinks: "array" });
      }).then(function (res) {
        $("loading").hidden = true;  // (the list, or why there is none: an empty table said nothing before)
        if (!res.ok) {  // said, and asked again: the list shown is the last one the service gave
          setText("load-error", serviceError(res) + lastListed());
          clearTimeout(timer);
          timer = later(refresh, refreshMs());
          return;
        }
        setText("load-error", "");
        var sinks = (res.data && res.data.sinks) || [];
        createdNotice(sinks);
        var creating = false;
        showSources(sinks);
        sinks.forEach(function (s) { if (s.state !== "ACTIVE") creating = true; });
        $("empty").hidden = sinks.length > 0;
        $("sources").hidden = sinks.length === 0;
        clearTimeout(timer);
        timer = later(refresh, creating ? creatingMs() : refreshMs());
      }).catch(function (err) {
        $("loading").hidden = true;
        setText("load-error", reachFailure(err) + lastListed());
        clearTimeout(timer);
        timer = later(refresh, refreshMs());
      });
    }

    refresh();
  }

  // ------------------------------------------------------------------ New Source

  function newSourcePage() {
    var form = $("source-form");
    var dbSelect = $("database");
    var tableSelect = $("table");
    var nameInput = $("name");
    var current = null; // the chosen table (catalog entry)
    var draftSeq = 0;
    var nameSeq = 0;
    var lastDraft = null;
    var units = config.time_units || ["s", "ms", "us", "ns"];

    function fillDatabases() {
      catalog.databases.forEach(function (db) {
        dbSelect.appendChild(el("option", { value: db.id }, db.name));
      });
      if (catalog.databases.length === 0) {
        setText("database-check", "No database is registered: start mapper serve with --table FILE.sql (FeatureBase CREATE TABLE statements).");
      } else if (catalog.databases.length === 1) {
        dbSelect.value = catalog.databases[0].id;
        fillTables();
      }
    }

    function chosenDatabase() {
      return chosenDatabaseOf(dbSelect.value);
    }

    function chosenDatabaseOf(id) {
      for (var i = 0; i < catalog.databases.length; i++) {
        if (catalog.databases[i].id === id) return catalog.databases[i];
      }
      return null;
    }

    function fillTables() {
      var db = chosenDatabase();
      clear(tableSelect).appendChild(el("option", { value: "" }, "Choose a table"));
      tableSelect.disabled = !db;
      if (db) {
        db.tables.forEach(function (t) {
          tableSelect.appendChild(el("option", { value: t.name }, t.name));
        });
      }
      fillColumns();
    }

    function fillColumns() {
      var db = chosenDatabase();
      current = null;
      if (db) {
        db.tables.forEach(function (t) { if (t.name === tableSelect.value) current = t; });
      }
      var body = clear($("columns").tBodies[0]);
      $("columns-box").hidden = !current;
      $("table-sql-box").hidden = !current;
      setText("table-sql", current ? current.sql : "");
      if (!current) return;
      var columns = current.columns.slice();
      var quantum = columns.some(function (c) { return c.type === "IDSETQ" || c.type === "STRINGSETQ"; });
      // The record's time is mapped by the name _timeQuantum, which a mapping key matches
      // case-insensitively: a column of the table so named (FeatureBase's names start with a
      // letter; mapper check only warns) takes it, and a row of its own beside the column sent
      // both keys, refused as two keys mapping one column. Said instead of offered.
      var shadowed = columns.some(function (c) { return c.name.toLowerCase() === "_timequantum"; });
      if (quantum && !shadowed) columns.push({ name: "_timeQuantum", type: "TIME", sql_type: "record time", sql: "the record's time, for the time-quantum columns" });
      columns.forEach(function (c, i) {
        var pathId = "path-" + i;
        var checkId = "check-" + i;
        var required = c.name === "_id";
        var input = el("input", {
          id: pathId, type: "text", className: "path", autocomplete: "off", spellcheck: "false",
          "data-column": c.name, "aria-describedby": checkId, placeholder: required ? "required, e.g. id" : "optional",
          required: required
        });
        if (required) input.setAttribute("aria-required", "true");
        var label = el("label", { htmlFor: pathId }, c.name);
        var unitCell = el("td", null);
        if (c.type === "TIMESTAMP" || c.type === "TIME") {
          var unitId = "unit-" + i;
          var select = el("select", { id: unitId, className: "unit", autocomplete: "off", "data-column": c.name, "aria-label": "Sent as, column " + c.name });
          select.appendChild(el("option", { value: "" }, "text (RFC 3339)"));
          units.forEach(function (u) { select.appendChild(el("option", { value: u }, "a number of " + u)); });
          unitCell.appendChild(select);
        }
        body.appendChild(el("tr", { "data-column": c.name },
          el("th", { scope: "row" }, label, required ? el("span", { className: "required" }, " (required)") : null),
          el("td", { className: "type", title: c.sql }, c.sql_type),
          el("td", null, input, el("p", { id: checkId, className: "check" })),
          unitCell));
      });
      if (quantum && shadowed) {
        body.appendChild(el("tr", { id: "record-time-shadowed" },
          // (not a .check: each draft answered empties the form's checks, and took this note with it)
          el("td", { colSpan: 4, className: "table-note bad" },
            "The record's time (_timeQuantum, for the time-quantum columns) cannot be mapped: the table's column named _timequantum takes that mapping name. " +
            "FeatureBase column names start with a letter: rename the column to map the record's time.")));
      }
    }

    function formData() {
      // no prototype: a column named __proto__ or constructor is a key like any other
      var columns = Object.create(null);
      Array.prototype.forEach.call(document.querySelectorAll("#columns input.path"), function (input) {
        columns[input.getAttribute("data-column")] = { path: input.value };
      });
      Array.prototype.forEach.call(document.querySelectorAll("#columns select.unit"), function (select) {
        var key = select.getAttribute("data-column");
        if (columns[key]) columns[key].unit = select.value || null;
      });
      var missing = null;
      if ($("missing-continue").checked) missing = true;
      if ($("missing-discard").checked) missing = false;
      return {
        name: nameInput.value,
        database_id: dbSelect.value || null,
        table: tableSelect.value || null,
        columns: columns,
        allow_missing_fields: missing,
        sample: $("sample").value
      };
    }

    // ---- the name, checked as you type (the rule and message of mapper check)
    function checkName() {
      var seq = ++nameSeq;
      var value = nameInput.value;
      if (!value) {
        setText("name-check", "");
        nameInput.removeAttribute("aria-invalid");
        return;
      }
      function unchecked(why) {  // the verdict shown was on an earlier name: replaced by why this one has none
        if (seq !== nameSeq) return;
        var node = $("name-check");
        node.className = "check bad";
        node.textContent = safeText("The name cannot be checked: " + why);
        nameInput.removeAttribute("aria-invalid");
      }
      function verdict(valid, message) {
        var node = $("name-check");
        node.className = "check " + (valid ? "ok" : "bad");
        node.textContent = safeText(valid ? value + " is a valid source name" : message);
        if (valid) nameInput.removeAttribute("aria-invalid");
        else nameInput.setAttribute("aria-invalid", "true");
      }
      // A name too long is told here, in the service's words (config.name_rule): one of 65 KB
      // asked about in the URL was refused for the URL's length (414), never told the rule.
      // Its length in characters (code points), as the service counts them, not UTF-16 units.
      var rule = config.name_rule;
      var length = rule ? Array.from(value).length : 0;
      if (rule && length > rule.max_length) {
        verdict(false, rule.too_long.replace("{length}", String(length)).replace("{max}", String(rule.max_length)));
        return;
      }
      // Half a surrogate pair (pasted) is no text a URL can carry: encodeURIComponent throws,
      // and the verdict on the last name stayed. Asked as the service reads such a name, U+FFFD.
      var asked = value.toWellFormed ? value.toWellFormed() : value;
      try {
        asked = encodeURIComponent(asked);
      } catch (e) {
        return unchecked("it holds half of a UTF-16 surrogate pair, which is no text: type it again");
      }
      // (a name the service could not answer for, out of reach or a 5xx, is asked about again
      // unless typed over: "cannot be checked" stayed, the service back, until a key was typed)
      function again() {
        later(function () { if (seq === nameSeq) checkName(); }, refreshMs());
      }
      api("GET", "/ui/api/name?name=" + asked, undefined, { valid: "any" }).then(function (res) {
        if (seq !== nameSeq) return;
        if (!res.ok && (res.status >= 500 || res.status === 401)) again();  // (a 401: once a token is given)
        if (!res.ok) return unchecked(serviceError(res));
        verdict(res.data.valid, res.data.message);
      }, function (err) {
        if (seq !== nameSeq) return;
        again();
        unchecked(reachFailure(err).replace("Cannot", "cannot"));
      });
    }

    // ---- the draft: problems per field, the preview
    // A draft answered after a newer one was asked for is stale: SUPERSEDED, not shown.
    var SUPERSEDED = {};

    // A draft the service refused (a sample too big, the service gone) leaves no preview or
    // problems of an earlier form on show; its error goes once a draft is answered again.
    var draftFailed = false;

    function draftFailure(message) {
      showProblems([], false);
      showPreview(null);
      setText("create-result", message);
      draftFailed = true;
      return null;
    }

    // The draft's request body. A sample record that would take it past what the service
    // takes of a UI request (its body limit, times 4) is left out, and the preview says why:
    // the whole draft was refused 413 for a field that is only previewed, and the form could
    // be neither checked nor created.
    function draftBody() {
      var data = formData();
      var body = JSON.stringify(data);
      var cap = config.ui_body_bytes;
      var size = cap && data.sample ? utf8Length(body) : 0;
      if (!(size > cap)) return { body: body, sampleLeftOut: null };
      data.sample = "";
      return {
        body: JSON.stringify(data),
        sampleLeftOut: "The sample record is too big to preview: with it the form is " + COUNT.format(size) +
          " bytes as the page sends it (JSON text), more than the " + COUNT.format(cap) + " bytes this page takes (" +
          (cap / config.max_body_bytes) + " times the endpoint's body limit of " + COUNT.format(config.max_body_bytes) +
          " bytes). The form is checked without it, and can be created."
      };
    }

    function utf8Length(text) {
      return new TextEncoder().encode(text).length;
    }

    function runDraft() {
      var seq = ++draftSeq;
      var sent = draftBody();
      // a draft the service could not answer (out of reach, a 5xx) is asked again unless the
      // form changed since: its "Cannot reach the service" stayed, the service back, until a key was typed
      function again() {
        later(function () { if (seq === draftSeq) runDraft(); }, refreshMs());
      }
      return api("POST", "/ui/api/draft", sent.body, { problems: "array", body_text: "any" }).then(function (res) {
        if (seq !== draftSeq) return SUPERSEDED;
        if (!res.ok && (res.status >= 500 || res.status === 401)) again();  // (a 401: once a token is given)
        if (!res.ok) return draftFailure(serviceError(res));
        if (draftFailed) {
          draftFailed = false;
          setText("create-result", "");
        }
        lastDraft = res.data;
        showProblems(res.data.problems, false);
        showPreview(sent.sampleLeftOut ? { error: sent.sampleLeftOut } : res.data.preview);
        return res.data;
      }, function (err) {
        if (seq !== draftSeq) return SUPERSEDED;
        again();
        return draftFailure(reachFailure(err));
      });
    }

    function checkNodeFor(p) {
      if (p.field === "column") {
        var input = document.querySelector('#columns input.path[data-column="' + cssEscape(p.column) + '"]');
        return input ? $(input.getAttribute("aria-describedby")) : $("columns-check");
      }
      if (p.field === "database") return $("database-check");
      if (p.field === "table") return $("table-check");
      if (p.field === "columns") return $("columns-check");
      if (p.field === "missing") return $("missing-check");
      return null;
    }

    function cssEscape(text) {
      return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, "\\$&");
    }

    // touched: a field shows its problem once it was edited, or after "Create source"
    var touched = {};
    var submitted = false;

    // Problems in the form's order, top to bottom (the service lists them in its own: the
    // missing-values choice before the columns above it, the table before the name).
    var FIELD_ORDER = ["database", "name", "table", "column", "columns", "missing"];

    function inPageOrder(problems) {
      function rank(p) { var i = FIELD_ORDER.indexOf(p.field); return i < 0 ? FIELD_ORDER.length : i; }
      return problems.map(function (p, i) { return [rank(p), i, p]; })
        .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
        .map(function (item) { return item[2]; });
    }

    function showProblems(problems, all) {
      Array.prototype.forEach.call(document.querySelectorAll("#source-form .check"), function (node) {
        if (node.id !== "name-check" && node.id !== "database-check") { node.textContent = ""; node.className = "check"; }
      });
      Array.prototype.forEach.call(document.querySelectorAll("#columns input.path"), function (input) {
        input.removeAttribute("aria-invalid");
      });
      var list = clear($("problems"));
      var shown = { errors: 0, warnings: 0 };  // listed: errors stop the source being created, warnings do not
      inPageOrder(problems).forEach(function (p) {
        if (p.severity === "note") return;
        var visible = all || submitted || touched[p.field === "column" ? "column:" + p.column : p.field];
        if (p.field === "name") {
          if (submitted) {
            list.appendChild(putMessage(el("li", { className: p.severity }), "Source name: " + (p.severity === "error" ? "" : "warning: ") + p.message));
            shown[p.severity === "error" ? "errors" : "warnings"]++;
            // the live check said what the name was when typed: another tab may have taken it since
            var check = $("name-check");
            check.className = "check " + (p.severity === "error" ? "bad" : "warn");
            putMessage(clear(check), p.message);
            nameInput.setAttribute("aria-invalid", "true");
          }
          return; // otherwise the name has its own live check
        }
        var node = checkNodeFor(p);
        if (node && visible) {
          node.className = "check " + (p.severity === "error" ? "bad" : "warn");
          if (node.firstChild) node.appendChild(document.createTextNode(" "));
          putMessage(node, p.message);
          if (p.field === "column") {
            var input = document.querySelector('#columns input.path[data-column="' + cssEscape(p.column) + '"]');
            if (input && p.severity === "error") input.setAttribute("aria-invalid", "true");
          }
        }
        if (visible) {
          var where = p.field === "column" ? "Column " + p.column + ": " : "";
          list.appendChild(putMessage(el("li", { className: p.severity }), where + (p.severity === "error" ? "" : "warning: ") + p.message));
          shown[p.severity === "error" ? "errors" : "warnings"]++;
        }
      });
      $("problems-box").hidden = list.childNodes.length === 0;
      return shown;
    }

    function showPreview(preview) {
      var box = $("preview");
      box.hidden = !preview;
      if (!preview) return;
      var errs = clear($("preview-record-errors"));
      var body = clear($("preview-table").tBodies[0]);
      // a sample that is no record (not JSON, several records): said, with no table of column
      // names only under it, as if the record had found nothing in any column
      $("preview-table").parentNode.hidden = !!preview.error;
      if (preview.error) {
        setText("preview-summary", preview.error);
        return;
      }
      preview.record_errors.forEach(function (m) {
        errs.appendChild(el("li", { className: m.severity }, m.message));
      });
      var summary;
      if (preview.stored === null) summary = "The values each path finds (what the endpoint would store shows once the definition is complete).";
      else if (preview.stored) summary = "The endpoint would store this record with _id " + preview.id + ".";
      else summary = "The endpoint would refuse this record.";
      setText("preview-summary", summary);
      preview.columns.forEach(function (c) {
        var notes = el("ul", { className: "messages" });
        c.messages.forEach(function (m) {
          notes.appendChild(el("li", { className: m.severity }, (m.path ? m.path + ": " : "") + m.message));
        });
        body.appendChild(el("tr", { "data-column": c.column },
          el("th", { scope: "row" }, c.column),
          el("td", { className: "path" }, pathNodes(c.path)),
          el("td", { className: "found kind-" + c.found.kind }, jsonNodes(c.found.text)),
          el("td", { className: "stored" + (c.stored ? " kind-" + c.stored.kind : "") }, jsonNodes(c.stored ? c.stored.text : "")),
          el("td", { className: "notes" }, notes)));
      });
    }

    var draftSoon = debounce(runDraft, 250);
    var nameSoon = debounce(checkName, 150);

    dbSelect.addEventListener("change", function () { touched.database = true; fillTables(); draftSoon(); });
    tableSelect.addEventListener("change", function () { touched.table = true; fillColumns(); draftSoon(); });
    nameInput.addEventListener("input", function () { nameSoon(); draftSoon(); });
    $("columns").addEventListener("input", function (event) {
      var key = event.target.getAttribute("data-column");
      if (key) touched["column:" + key] = true;
      draftSoon();
    });
    $("columns").addEventListener("change", function () { draftSoon(); });
    $("missing-box").addEventListener("change", function () { touched.missing = true; draftSoon(); });
    $("sample").addEventListener("input", draftSoon);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("create");
      if (isBusy(button)) return;  // (a second Enter while the first is on its way)
      submitted = true;
      setText("create-result", "");
      setBusy(button, true);
      // The draft of the form as it is now: a debounced draft (a field just changed) may
      // overtake this one, and then its answer is asked for again, not dropped.
      function settledDraft() {
        return runDraft().then(function (d) { return d === SUPERSEDED ? settledDraft() : d; });
      }
      settledDraft().then(function (d) {
        if (!d) { setBusy(button, false); return; }
        if (!d.valid) {
          var shown = showProblems(d.problems, true), n = shown.errors, w = shown.warnings;
          setText("create-result", "The source cannot be created yet: " + (n || "some") + " problem" + (n === 1 ? "" : "s") + " to fix (listed above" +
            (w ? "; " + (w === 1 ? "the warning does" : "the " + w + " warnings do") + " not stop it" : "") + ").");
          focusFirstProblem(d.problems);
          setBusy(button, false);
          return;
        }
        // The same POST /v1/sinks as the API, with the body the form became (chained: its
        // failure to reach the service is caught below like the draft's).
        return api("POST", "/v1/sinks", d.body_text, { id: "any" }).then(function (res) {
          // created: the button stays busy until the list's page comes (a second click drafted the
          // form again and flashed "exists already" over the source just made); see pageshow
          if (res.ok) {
            location.href = "/ui/?created=" + encodeURIComponent(res.data.id);
            return;
          }
          setBusy(button, false);
          setText("create-result", serviceError(res));
          // the name taken meanwhile (another tab, the API): said by the name too, the focus there
          if (res.status === 409) {
            var check = $("name-check");
            check.className = "check bad";
            check.textContent = safeText((res.data && res.data.message) || "this name is taken");
            nameInput.setAttribute("aria-invalid", "true");
            nameInput.focus();
          }
        });
      }).catch(function (err) {
        setBusy(button, false);
        setText("create-result", reachFailure(err));
      });
    });

    // The field of the error that comes first on the page (the service lists problems in its
    // own order: the missing-values choice at the foot of the form before a column above it).
    function focusFirstProblem(problems) {
      var first = null;
      problems.forEach(function (p) {
        if (p.severity !== "error") return;
        var target = null;
        if (p.field === "name") target = nameInput;
        else if (p.field === "database") target = dbSelect;
        else if (p.field === "table") target = tableSelect;
        else if (p.field === "missing") target = $("missing-continue");
        else if (p.field === "column") target = document.querySelector('#columns input.path[data-column="' + cssEscape(p.column) + '"]');
        if (target && (!first || first.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_PRECEDING)) first = target;
      });
      if (first) first.focus();
    }

    // Back to this page, the browser may restore it as it was left (its back/forward cache):
    // the name just created is taken now, and the form is drafted again against the service.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      setBusy($("create"), false);  // (left busy as the source was created)
      if (nameInput.value) checkName();
      draftSoon();
    });

    // ---- the form kept in the tab: a reload, or back/forward to a page the browser did not
    // keep, loads the page again. The browser refills only the fields the page's HTML holds
    // (the missing-values choice, the sample), not the database, table and paths the script
    // builds: the form showed a sample and a choice, no preview, and blank fields that would
    // not have been what was created. The fields carry autocomplete="off" (the browser refills
    // none) and the script keeps the whole form in sessionStorage, put back as one.
    var FORM_KEY = "mapper-new-source-form";

    function saveForm() {
      try {
        sessionStorage.setItem(FORM_KEY, JSON.stringify(formData()));
      } catch (e) {  // private mode, or a sample beyond the tab's storage: not kept, and no older form kept either
        try { sessionStorage.removeItem(FORM_KEY); } catch (e2) { /* no storage at all */ }
      }
    }

    // A reload or back/forward: the form as it was; any other visit (a link, the address
    // typed) starts a new source on a blank form.
    function revisited() {
      var nav = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
      if (nav) return nav.type === "reload" || nav.type === "back_forward";
      return !!(window.performance && performance.navigation && (performance.navigation.type === 1 || performance.navigation.type === 2));
    }

    function restoreForm() {
      var saved = null;
      try {
        if (!revisited()) sessionStorage.removeItem(FORM_KEY);
        else saved = JSON.parse(sessionStorage.getItem(FORM_KEY) || "null");
      } catch (e) { saved = null; }
      if (!saved || typeof saved !== "object") return false;
      if (typeof saved.database_id === "string" && chosenDatabaseOf(saved.database_id)) {
        dbSelect.value = saved.database_id;
        touched.database = true;
        fillTables();
      }
      if (typeof saved.table === "string" && !tableSelect.disabled) {
        tableSelect.value = saved.table;
        if (tableSelect.value === saved.table) touched.table = true;
        fillColumns();
      }
      var columns = saved.columns && typeof saved.columns === "object" ? saved.columns : {};
      Array.prototype.forEach.call(document.querySelectorAll("#columns input.path"), function (input) {
        var key = input.getAttribute("data-column");
        var c = Object.prototype.hasOwnProperty.call(columns, key) ? columns[key] : null;
        if (c && typeof c.path === "string") { input.value = c.path; if (c.path) touched["column:" + key] = true; }
      });
      Array.prototype.forEach.call(document.querySelectorAll("#columns select.unit"), function (select) {
        var key = select.getAttribute("data-column");
        var c = Object.prototype.hasOwnProperty.call(columns, key) ? columns[key] : null;
        if (c && typeof c.unit === "string") select.value = c.unit;
      });
      $("missing-continue").checked = saved.allow_missing_fields === true;
      $("missing-discard").checked = saved.allow_missing_fields === false;
      if (typeof saved.allow_missing_fields === "boolean") touched.missing = true;
      if (typeof saved.name === "string") nameInput.value = saved.name;
      if (typeof saved.sample === "string") $("sample").value = saved.sample;
      return true;
    }

    form.addEventListener("input", saveForm);
    form.addEventListener("change", saveForm);

    // The catalog, asked again until it comes: a first request that failed (the service
    // restarting) left "Cannot reach the service" over a form with no database to choose, for
    // good. (A 401 also shows the token box: its reload brings the token.)
    function askCatalog() {
      loadCatalog().then(function (refused) {
        if (refused) {
          setText("load-error", serviceError(refused));
          later(askCatalog, refreshMs());
          return;
        }
        setText("load-error", "");
        fillDatabases();
        if (restoreForm()) runDraft();  // the preview and the problems of the form put back
        if (nameInput.value) checkName();
      }, function (err) {
        setText("load-error", reachFailure(err));
        later(askCatalog, refreshMs());
      });
    }
    askCatalog();
  }

  // ------------------------------------------------------------------ a source: details, Send records, rows

  // A source that is not there (a typo, a bookmark of another database): said, with nothing
  // to send to and no rows to page through.
  var SOURCE_SECTIONS = ["status-line", "config-section", "endpoint-section", "send-section", "rows-section"];

  function noSource(message) {
    setText("loading", "");
    document.title = "No such source - mapper serve";
    setText("source-name", "No such source");
    setText("load-error", message);
    SOURCE_SECTIONS.forEach(function (id) { $(id).hidden = true; });
  }

  // How often a source's page asks again for a source that is not there (404): slower than
  // the refresh, but asked (a source deleted, the service restarted on another database, is
  // created again under its name: the page stayed "No such source" until reloaded).
  function goneMs() {
    return Math.min(refreshMs() * 5, 2147483647);  // (15 s; a timer past 2^31 - 1 ms fires at once)
  }

  function sourcePage() {
    var match = location.pathname.match(/^\/ui\/sources\/([^/]+)$/);
    var sinkId = "";
    try {
      sinkId = match ? decodeURIComponent(match[1]) : "";
    } catch (err) {  // a malformed escape (%E0%A4): say so rather than leave a blank page
      noSource("This address does not name a source: " + location.pathname + " is not a valid URL path (" + err.message + ").");
      return;
    }
    var viewPath = "/ui/api/sinks/" + encodeURIComponent(sinkId);
    var pageSize = 25;
    var rowsOffset = 0;  // set from the address below: ?page=N (from 1) is the page of rows shown
    var timer = null;
    var shown = null;   // the details shown, as JSON text: a poll that brings the same leaves the page alone
    var counted = null;  // the counts the rows shown go with: others' records (another tab, curl) reload them
    var scrolled = false;  // the address's #fragment scrolled to, once the details are drawn

    // The details are updated in place, as the list's rows are: rebuilt each time the counts
    // moved (records flowing in), they took a selection (a last error being copied) with them.
    var configRows = Object.create(null);  // term -> its <dd>
    var shownDefinition = null;  // the definition's entries drawn, as JSON text
    var MANY_MAPPINGS = 100;  // more column mappings than this are shown folded

    function row(term, value, id) {
      var dd = configRows[term];
      if (!dd) {
        var dl = $("config");
        dl.appendChild(el("dt", null, term));
        dd = configRows[term] = dl.appendChild(el("dd", { id: id }));
      }
      if (typeof value === "string") putText(dd, value);
      else putDetail(dd, value);
    }

    // "2023-11-14T22:14:20.500Z: what": a last error or last records refused, and when it came
    function at(time, what) {
      return time ? time + ": " + what : what;
    }

    function showSink(s) {
      var key = JSON.stringify(s);
      clearTimeout(timer);
      // polled: CREATING turns ACTIVE within moments; records others send change the counts
      timer = later(loadSink, s.state !== "ACTIVE" ? creatingMs() : refreshMs());
      var counts = JSON.stringify(s.counts);
      if (counts !== counted) {
        counted = counts;
        loadRows();
      }
      if (key === shown) return;
      shown = key;
      document.title = s.name + " - mapper serve";
      setText("source-name", s.name);
      if ($("status").getAttribute("data-state") !== String(s.state)) {
        $("status").setAttribute("data-state", String(s.state));
        clear($("status")).appendChild(statusNode(s.state));
      }
      row("Database", detail(s.database_id, s.database ? s.database + " (" + s.database_id + ")" : String(s.database_id), "database"));
      row("Table", detail(s.table, s.table, "table"));
      if (s.created_at) row("Created", s.created_at, "created");
      row("_id", s.identity);
      row("Records with missing values", s.allow_missing_fields ?
        "Continue processing and store the record with the data that was found" :
        "Discard the entire batch of records sent and log an error");
      row("Records", COUNT.format(s.counts.records_stored) + " stored, " + COUNT.format(s.counts.records_refused) + " refused, in " + COUNT.format(s.counts.requests) +
        (s.counts.requests === 1 ? " request" : " requests"));
      // each said with the time it came, as the list's title of a refused count says it (GET /v2/sinks's
      // last_error_at, last_refused_at): an error of last week read as one of now
      row("Last error", s.last_error ? at(s.last_error_at, s.last_error) : "none", "last-error");
      // why records were refused one by one (curl, mapper send, another tab): the counts alone said only how many
      row("Last records refused", s.last_refused ? at(s.last_refused_at, s.last_refused) : "none", "last-refused");  // (the list's refused count links here)
      var definition = JSON.stringify(s.definition);
      if (definition !== shownDefinition) {  // (drawn again only when it changed)
        // a table of many columns (1,990: 60,000 px of mappings) is shown folded, its count said,
        // when first drawn: the ingest endpoint and Send records were far below it (a reader's
        // opening or folding it is kept)
        if (shownDefinition === null && s.definition.length > MANY_MAPPINGS) $("mappings").open = false;
        setText("mappings-title", "Column mappings (" + COUNT.format(s.definition.length) + ")");
        shownDefinition = definition;
        var body = clear($("definition").tBodies[0]);
        s.definition.forEach(function (entry) {
          body.appendChild(el("tr", null,
            el("th", { scope: "row" }, entry.name),
            el("td", { className: "path" }, pathNodes(entry.path)),
            el("td", null, entry.type),
            el("td", { className: "value" }, jsonNodes(entry.config))));
        });
      }
      var url = location.origin + s.ingest_path;
      setText("endpoint", url);
      var lines = ["curl --location --request POST '" + url + "' \\"];
      if (config.token_required) lines.push("--header 'Authorization: Bearer <token>' \\");
      lines.push("--header 'Content-Type: application/json' \\");
      lines.push("--data-binary @records.json    # {\"records\": [{\"value\": {...}}, ...]}");
      setText("curl", lines.join("\n"));
      putJson($("api-body"), s.body_text);
      // the list's refused count links to #last-refused: drawn after the page loaded, so the
      // browser found no such element to scroll to (once: a poll does not scroll the page back)
      if (!scrolled && location.hash.length > 1) {
        scrolled = true;
        var target = document.getElementById(location.hash.slice(1));
        if (target) target.scrollIntoView({ block: "center" });
      }
    }

    // The details are asked for by the poll and after each send: only the answer to the last
    // request is shown (a poll answered late put the counts before a send back over it).
    var sinkSeq = 0;
    var gone = false;  // the last answer was 404: "No such source" shown

    function loadSink() {
      var seq = ++sinkSeq;
      return api("GET", viewPath, undefined, { counts: "object", definition: "array" }).then(function (res) {
        if (seq !== sinkSeq) return;
        clearTimeout(timer);
        if (res.status === 404) {
          // said, and asked again, slower: a source created again under this name is shown
          // (its details, counts and rows drawn anew: none of the gone source's is kept)
          noSource(serviceError(res) + " (asked again every " + goneMs() / 1000 + " s: the source is shown once it exists)");
          gone = true;
          shown = null;
          counted = null;
          wholeShown = Object.create(null);
          timer = later(loadSink, goneMs());
          return;
        }
        if (!res.ok) {
          // said, and asked again, whatever the answer was: a failing service (5xx; the state
          // shown may still be CREATING), and also a proxy's page answered 200 for a moment, a
          // 401 or 400, which stopped the page's refreshes for good, the error said over
          // details that no longer changed until a reload (a 401: asked again once a token is
          // given, see later())
          setText("loading", "");
          setText("load-error", serviceError(res));
          timer = later(loadSink, refreshMs());
          return;
        }
        setText("load-error", "");
        if (gone || !$("loading").hidden) {  // (the first details, or a source created again: its sections shown)
          gone = false;
          $("loading").hidden = true;
          SOURCE_SECTIONS.forEach(function (id) { $(id).hidden = false; });
        }
        showSink(res.data);
      }, function (err) {  // the service gone for a moment (restarted): said, and asked again
        if (seq !== sinkSeq) return;
        setText("loading", "");
        setText("load-error", reachFailure(err));
        clearTimeout(timer);
        timer = later(loadSink, refreshMs());
      });
    }

    // The page of rows shown is the address's (?page=N; page 1 has none), and so are the columns
    // of a wide source (?columns=N, the first column shown, counted from 1 as the page says
    // "Columns 101 to 200"; columns 1 to 100 have none): a reload, back and forward, and a link
    // to page N show that page and those columns, not page 1 and the first columns again.
    function pageAddress(n) {
      var params = new URLSearchParams(location.search);
      params.delete("page");
      params.delete("columns");
      if (n > 1) params.set("page", String(n));  // (page first, columns second, whichever changed)
      if (columnsOffset > 0) params.set("columns", String(columnsOffset + 1));
      var query = params.toString();
      return location.pathname + (query ? "?" + query : "") + location.hash;
    }

    // The address's page -> rowsOffset; a page that is no page number is said, and page 1 shown.
    function pageFromAddress() {
      var raw = new URLSearchParams(location.search).get("page");
      // (a page beyond any store, 10**20, is a page past the last, not an offset rounded by a double)
      var n = raw === null ? 1 : Math.min(Number(raw), 1e12);
      setText("rows-note", "");
      if (!(/^[0-9]+$/.test(raw === null ? "1" : raw) && n >= 1)) {
        setText("rows-note", "page=" + raw + " in the address is not a page number (1, 2, ...): page 1 is shown.");
        n = 1;
        history.replaceState(history.state, "", addressWithout("page"));
      }
      rowsOffset = (n - 1) * pageSize;
      askedPage = raw === null || n === 1 ? null : raw.replace(/^0+/, "");
      pastLastOf = null;
    }

    // The address's columns -> columnsOffset; a value that is no column number is said (beside
    // what the page's says), and the first columns shown.
    function columnsFromAddress() {
      var raw = new URLSearchParams(location.search).get("columns");
      columnsOffset = 0;
      if (raw === null) return;
      if (/^[0-9]+$/.test(raw) && Number(raw) >= 1) {
        columnsOffset = Math.min(Number(raw), 1e12) - 1;  // (one past the last: said when the rows come)
        return;
      }
      addRowsNote("columns=" + raw + " in the address is not a column number (1, 101, ...): the first columns are shown.");
      history.replaceState(history.state, "", addressWithout("columns"));
    }

    // The address without its ``name`` (a page or columns it names that are none): the other
    // kept as the address has it (read from it in turn, the one not read yet not lost).
    function addressWithout(name) {
      var params = new URLSearchParams(location.search);
      params.delete(name);
      var query = params.toString();
      return location.pathname + (query ? "?" + query : "") + location.hash;
    }

    function addRowsNote(text) {
      var was = $("rows-note").textContent;
      setText("rows-note", was ? was + " " + text : text);
    }

    var askedPage = null;  // the page the address asked for, as typed: said when past the last
    // The rows' total "There is no page N" was said of (null: not said): records stored since
    // make it untrue ("no rows are stored" stayed above the rows that came), and it is taken away.
    var pastLastOf = null;

    function goToPage(offset) {
      rowsOffset = offset;
      askedPage = null;
      pastLastOf = null;
      changedSaid = false;
      setText("rows-note", "");
      history.pushState(history.state, "", pageAddress(offset / pageSize + 1));
      loadRows();
    }

    // Rows are asked for by a poll (the counts moved), a send and the pager: only the answer
    // to the last request is shown (an earlier one arriving late would show another page).
    var rowsSeq = 0;
    var shownRows = null;  // the columns and rows drawn, as JSON text

    // Why the rows are not as many as the records stored (the list's "Records stored" 118 beside
    // "Rows 1 to 25 of 108" here, unexplained), from the counts the rows came with (``records``:
    // stored, and of them merged, those written to an _id a row held already; null: a database of
    // an earlier mapper, which did not count them). Upserts are said to be why only when they are:
    // rows removed by another program (the service removes none) were put down to upserts too.
    function rowsNote(total, records) {
      if (!records || typeof records.stored !== "number") return "";
      var stored = howMany(records.stored, "record") + " stored";
      var merged = records.merged;
      if (typeof merged !== "number") {
        if (records.stored <= total) return "";
        return " " + stored + ": " + MERGED + ", or rows were removed by another program; which, is not known (this database was made " +
          "by an earlier mapper, which did not count the records that updated a row).";
      }
      var made = records.stored - merged;  // the rows the records stored made
      if (total === made) return merged ? " " + stored + ": " + MERGED + "." : "";
      var said = " " + stored + (merged ? ", " + COUNT.format(merged) + " of them to an _id stored already (" + MERGED + ")" : "") +
        ": " + howMany(made, "row") + " made";
      if (total < made) return said + ", " + COUNT.format(made - total) + " of them removed by another program (this service removes none).";
      return said + ", and " + COUNT.format(total - made) + " more written by another program.";
    }

    var MERGED = "records with the same _id are stored in one row, the later one updating it";

    function howMany(n, what) {
      return COUNT.format(n) + " " + what + (n === 1 ? "" : "s");
    }

    function loadRows() {
      var seq = ++rowsSeq;
      var path = viewPath + "/rows?offset=" + rowsOffset + "&limit=" + pageSize + "&column_offset=" + columnsOffset + "&column_limit=" + COLUMNS_AT_ONCE;
      return api("GET", path, undefined, { columns: "array", rows: "array" }).then(function (res) {
        if (seq !== rowsSeq) return;
        if (!res.ok) {
          setText("rows-summary", serviceError(res));
          counted = null;  // asked again at the next poll
          return;
        }
        var page = res.data;
        if (columnsOffset > 0 && columnsOffset >= page.column_total) {
          // columns past the last (a link made of a source created again with fewer columns,
          // ?columns=5000 of 1,100): said, and the last columns shown, the address saying them
          var lastFrom = Math.max(0, Math.floor((page.column_total - 1) / COLUMNS_AT_ONCE) * COLUMNS_AT_ONCE);
          addRowsNote("There is no column " + COUNT.format(columnsOffset + 1) + ": the source has " + howMany(page.column_total, "column") +
            (lastFrom ? "; the last are shown." : "; the first are shown."));
          columnsOffset = lastFrom;
          history.replaceState(history.state, "", pageAddress(rowsOffset / pageSize + 1));
          return loadRows();
        }
        if (page.offset > 0 && page.offset >= page.total) {
          // a page past the last (a link to page 9 of 2, fewer rows than when it was made): said,
          // and the last page shown, its own address replacing the one that had none
          var pages = Math.max(1, Math.ceil(page.total / pageSize));
          setText("rows-note", "There is no page " + (askedPage || page.offset / pageSize + 1) + ": " +
            (page.total ? "the rows fill " + COUNT.format(pages) + (pages === 1 ? " page" : " pages") + "; the last is shown." : "no rows are stored."));
          pastLastOf = page.total;
          rowsOffset = (pages - 1) * pageSize;
          history.replaceState(history.state, "", pageAddress(pages));
          return loadRows();
        }
        if (pastLastOf !== null && page.total !== pastLastOf) {
          pastLastOf = null;
          setText("rows-note", "");
        }
        // drawn again only when the rows shown changed: records stored on a later page (the
        // counts moved) took a value being selected on this one with them
        var drawn = JSON.stringify([page.columns, page.rows]);
        if (drawn !== shownRows) {
          shownRows = drawn;
          var focused = focusInRows();
          var head = clear($("rows").tHead);
          var tr = el("tr", null, el("th", { scope: "col" }, "_id"));
          page.columns.forEach(function (c) { tr.appendChild(el("th", { scope: "col", title: c.type }, c.name)); });
          head.appendChild(tr);
          var body = clear($("rows").tBodies[0]);
          page.rows.forEach(function (r, i) {
            var at = page.offset + i;
            var line = el("tr", null, cellOf(el("th", { scope: "row", className: "value" }), r.id, r.id_length, at, r.key, "_id"));
            page.columns.forEach(function (col, k) {
              var c = r.cells[k];
              line.appendChild(cellOf(el("td", { className: c.kind }), c.text, c.length, at, r.key, col.name));
            });
            body.appendChild(line);
          });
          focusRowsAt(focused);
        }
        showColumnsPager(page);
        // no rows: no table of column names only, no pager of two disabled buttons under "No rows stored yet.";
        // and no pager of two disabled buttons over rows that fill one page (kept while it holds the focus)
        var first = page.total ? page.offset + 1 : 0;
        var last = page.offset + page.rows.length;
        var onePage = page.offset <= 0 && last >= page.total;
        $("rows-box").hidden = page.total === 0;
        $("rows-pager").hidden = page.total === 0 || (onePage && !$("rows-pager").contains(document.activeElement));
        var stored = page.records && page.records.stored;
        setText("rows-summary", (page.total ? "Rows " + COUNT.format(first) + " to " + COUNT.format(last) + " of " + COUNT.format(page.total) + "."
          : stored ? "No rows." : "No rows stored yet.") + rowsNote(page.total, page.records));
        var prev = $("rows-prev"), next = $("rows-next");
        var noPrev = page.offset <= 0, noNext = last >= page.total;
        if (!noPrev) prev.disabled = false;  // enabled first: the focus may move there
        if (!noNext) next.disabled = false;
        setDisabled(prev, noPrev, next);
        setDisabled(next, noNext, prev);
      }, function (err) {
        // the service out of reach (stopped, restarting): said in place of "Rows 1 to 25 of
        // 60." (the rows shown may not be the page the address names), and asked again at the
        // next poll that reaches it
        if (seq !== rowsSeq) return;
        setText("rows-summary", reachFailure(err) + "; the rows below may not be the page asked for (asked again in a few seconds).");
        counted = null;
      });
    }

    // The rows of a wide source are shown COLUMNS_AT_ONCE columns at a time (the service sends
    // those only), with a pager of their own: a page of 25 rows of 1,100 columns was 27,500
    // cells (and as many "Show whole value" buttons), 4-6 s of the browser's layout before the
    // page answered a click, the cells far to the right reached only by scrolling sideways.
    var COLUMNS_AT_ONCE = 100;
    var columnsOffset = 0;

    function showColumnsPager(page) {
      var total = typeof page.column_total === "number" ? page.column_total : page.columns.length;
      $("columns-pager").hidden = total <= COLUMNS_AT_ONCE || page.total === 0;  // (no rows: nothing to page across)
      if ($("columns-pager").hidden) return;
      var from = page.column_offset || 0, to = from + page.columns.length;
      setText("columns-summary", "Columns " + COUNT.format(from + 1) + " to " + COUNT.format(to) + " of " + COUNT.format(total) +
        " (" + COUNT.format(COLUMNS_AT_ONCE) + " at a time; the _id always).");
      var prev = $("columns-prev"), next = $("columns-next");
      var noPrev = from <= 0, noNext = to >= total;
      if (!noPrev) prev.disabled = false;  // (enabled first: the focus may move there)
      if (!noNext) next.disabled = false;
      setDisabled(prev, noPrev, next);
      setDisabled(next, noNext, prev);
    }

    function goToColumns(offset) {
      columnsOffset = Math.max(0, offset);
      history.pushState(history.state, "", pageAddress(rowsOffset / pageSize + 1));
      loadRows();
    }

    // A cell of the rows: its text, and for a value the service sent cut (each value of a page
    // is cut to its share, so a page of a wide table stays small: 25 rows of 1,100 columns were
    // 27 MB) a button that asks for it whole (GET .../cell) and shows it in the cell, in a box
    // that scrolls; the focus goes there from the button, which is gone. A value shown whole is
    // asked for whole again when the rows are drawn again (records stored on the page shown).
    // The value is asked of the row at its place (``at``) whose key (its _id, as the service
    // gave it: ``rowKey``) the page shows: rows removed since the page was drawn (the source
    // created again) put another row there, whose value was shown as this one's; the service
    // answers 409 instead, said, and the rows are drawn anew.
    var wholeShown = Object.create(null);  // "key column" of each value shown whole (a row keeps its key, not its place)

    function cellOf(node, text, length, at, rowKey, column) {
      node.appendChild(jsonNodes(text));
      if (!length) return node;
      var key = rowKey + " " + column;
      var note = null;  // why the value could not be had whole (made when needed: a page may hold 27,500 cut values)
      var button = el("button", { type: "button", className: "whole",
        "aria-label": safeText("Show the whole value of " + column + ", row " + (at + 1) + " (" + COUNT.format(length) + " characters)") }, "Show whole value");
      button.addEventListener("click", showWhole);
      node.appendChild(document.createTextNode(" "));
      node.appendChild(button);
      if (wholeShown[key]) showWhole();
      return node;

      function failed(message) {
        if (!note) note = node.appendChild(el("span", { className: "whole-note", role: "status" }));
        putText(note, message);
      }

      function showWhole() {
        if (isBusy(button)) return;
        setBusy(button, true);
        if (note) putText(note, "");
        var path = viewPath + "/cell?offset=" + at + "&key=" + encodeURIComponent(rowKey) + "&column=" + encodeURIComponent(column);
        api("GET", path, undefined, { text: "any" }).then(function (res) {
          setBusy(button, false);
          if (!node.isConnected) return;  // (the page of rows drawn again meanwhile)
          if (res.status === 409 && res.data && res.data.code === "RowChanged") return rowChanged(at);
          if (!res.ok) return failed(serviceError(res));
          if (changedSaid) {
            changedSaid = false;
            setText("rows-note", "");
          }
          var focused = document.activeElement === button;
          var box = el("span", { className: "whole-value", tabindex: "0", role: "region",
            "aria-label": safeText("The whole value of " + column + ", row " + (at + 1)) }, jsonNodes(res.data.text));
          clear(node).appendChild(box);
          wholeShown[key] = true;
          if (focused) box.focus();
        }, function (err) {
          setBusy(button, false);
          failed(reachFailure(err));
        });
      }
    }

    // A value asked for whole of a row that is no longer at its place: said in the rows' note
    // (a live region), until a value is next shown whole or another page is asked for, and
    // the rows drawn anew (the cell asked in goes with them).
    var changedSaid = false;

    function rowChanged(at) {
      setText("rows-note", "Row " + (at + 1) + " changed since the rows were drawn (rows removed, or the source created again): " +
        "its value was not shown, and the rows were refreshed.");
      changedSaid = true;
      shownRows = null;
      loadRows();
    }

    // Where the focus is in the rows' body ([row, cell] in it; null: elsewhere), and the same
    // place's control found again once they are drawn anew: the table rebuilt with the focus on
    // a "Show whole value" (records stored on the page shown) threw it back to the top of the page.
    function focusInRows() {
      var active = document.activeElement;
      var cell = active && $("rows").tBodies[0].contains(active) ? active.closest("td, th") : null;
      return cell ? [cell.parentNode.sectionRowIndex, cell.cellIndex] : null;
    }

    function focusRowsAt(place) {
      var line = place && $("rows").tBodies[0].rows[place[0]];
      var cell = line && line.cells[place[1]];
      var target = cell && cell.querySelector(".whole-value, button.whole");
      if (target) target.focus();
    }

    // A refusal naming a line of the paste ("line 537: Invalid JSON ...", nothing sent): the box
    // is marked invalid and that line selected in it, the focus there (as Create source moves it
    // to the field in error): a paste of hundreds of lines has no line numbers to find it by.
    // The service says where as numbers beside its words: "line", the line of the paste the
    // error is on (of a record over several lines, the error's line in it, not the record's
    // first), "char" and "record_line"; the words are only shown, never read for a place.
    function showPasteError(res) {
      var d = res.data || {};
      var n = d.line;
      if (res.status !== 400 || typeof n !== "number") return;
      var box = $("records");
      box.setAttribute("aria-invalid", "true");
      var lines = box.value.split("\n");
      if (!(n >= 1 && n <= lines.length)) return;
      var start = 0;
      for (var i = 0; i < n - 1; i++) start += lines[i].length + 1;
      box.focus();
      box.setSelectionRange(start, start + lines[n - 1].length);
      // (the box scrolls to the selection only as it is typed in: put the line near its top)
      var lineHeight = parseFloat(getComputedStyle(box).lineHeight) || 18;
      box.scrollTop = Math.max(0, (n - 2) * lineHeight);
    }

    function showAnswer(res) {
      var list = clear($("send-records"));
      clear($("send-jump"));
      setText("send-detail", "");
      setText("send-note", "");
      if (!res.ok) {
        // the endpoint's limits spent (records others sent, a send just before): its words are a
        // client's ("retry with backoff ... Retry-After"); what a user does is said after them
        var throttled = res.data && res.data.code === "ResourceThroughputExceeded";
        setText("send-summary", serviceError(res) + (throttled ? ". Nothing was stored: send the records again in a moment." : ""));
        showPasteError(res);
        return;
      }
      var d = res.data;
      // answer: the endpoint's, for the records sent (null when none could be); records: every
      // pasted record, in the paste's order, its status and message placed in the paste
      // The summary and the note under it (why the records failed) are live regions (a screen
      // reader says them): the list of up to 1,000 records below them is not read out at each send.
      var answer = d.answer || { success_count: 0, error_count: 0 };
      var n = d.records.length;
      var summary = COUNT.format(answer.success_count) + " of " + COUNT.format(n) + (n === 1 ? " record" : " records") + " stored, " + COUNT.format(answer.error_count) + " refused";
      if (d.not_sent) summary += ", " + COUNT.format(d.not_sent) + " not sent";
      // records stored with a value the endpoint changed (an integer beyond 2^53, a character
      // replaced): said in the summary too, not only beside each of them far down the list
      var changed = {};
      d.warnings.forEach(function (w) { if ((d.records[w.record] || {}).status === "success") changed[w.record] = true; });
      var nChanged = Object.keys(changed).length;
      if (nChanged) summary += ", " + COUNT.format(nChanged) + " stored with warnings (a value stored changed)";
      setText("send-summary", summary + ".");
      var more = d.not_sent ? "Not sent: a record the endpoint would refuse with the whole body holding it, held back. " : "";
      more += d.answer ? "The endpoint's answer: success_count " + answer.success_count + ", error_count " + answer.error_count + "." :
        "Nothing was sent.";
      setText("send-detail", more);
      // why the records failed, when the paste's layout shows it (a document of records pasted whole, jq's way to its records)
      setText("send-note", (d.notes || []).join(" "));
      var errors = {};
      d.errors.forEach(function (e) { (errors[e.record] = errors[e.record] || []).push(e); });
      var warnings = {};
      d.warnings.forEach(function (w) { (warnings[w.record] = warnings[w.record] || []).push(w); });
      d.records.forEach(function (rec, i) {
        var ok = rec.status === "success";
        var label = rec.status === "not_sent" ? "not sent" : ok ? "success" : "error";
        var item = el("li", { className: "record " + (ok ? "success" : "error"), id: "record-" + i },
          el("p", { className: "head" }, el("span", { className: "status status-" + (ok ? "success" : "error") }, label),
            " Record " + (i + 1) + (rec.line ? " (line " + rec.line + ")" : "")),
          el("pre", { className: "record-text" }, jsonNodes(rec.text || "")));
        if (!ok) item.appendChild(el("p", { className: "answer" }, (rec.error_code ? rec.error_code + ": " : "Not sent: ") + rec.error_message));
        var errs = el("ul", { className: "errors" });
        (errors[i] || []).forEach(function (e) {
          errs.appendChild(el("li", { className: "error" },
            el("code", { className: "path" }, pathNodes(e.path || "(the record)")),
            e.column ? " column " + e.column : "", " - ", e.reason));
        });
        (warnings[i] || []).forEach(function (w) {
          errs.appendChild(el("li", { className: "warning" },
            el("code", { className: "path" }, pathNodes(w.path || "")), w.column ? " column " + w.column : "", " - ", w.reason));
        });
        if (errs.childNodes.length) item.appendChild(errs);
        list.appendChild(item);
      });
      // The records refused, linked from above the list: among hundreds stored (a feed's
      // snapshot), the few refused were found only by scrolling through every one.
      var jump = clear($("send-jump"));
      var refused = [];
      d.records.forEach(function (rec, i) { if (rec.status !== "success") refused.push(i); });
      if (refused.length && refused.length < n) {
        jump.appendChild(document.createTextNode(safeText("Refused or not sent: ")));
        refused.slice(0, JUMP_LINKS).forEach(function (i, k) {
          if (k) jump.appendChild(document.createTextNode(safeText(", ")));
          var rec = d.records[i];
          jump.appendChild(el("a", { href: "#record-" + i }, "Record " + (i + 1) + (rec.line ? " (line " + rec.line + ")" : "")));
        });
        if (refused.length > JUMP_LINKS) jump.appendChild(document.createTextNode(safeText(" and " + COUNT.format(refused.length - JUMP_LINKS) + " more.")));
      }
    }

    var JUMP_LINKS = 20;

    $("send-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("send");
      if (isBusy(button)) return;  // (a second Enter while the first is on its way)
      setBusy(button, true);
      setText("send-summary", "Sending...");
      setText("send-detail", "");
      setText("send-note", "");
      clear($("send-jump"));
      $("records").removeAttribute("aria-invalid");
      clear($("send-records"));
      api("POST", "/ui/api/sinks/" + encodeURIComponent(sinkId) + "/send", { text: $("records").value }, { records: "array", errors: "array", warnings: "array" }).then(function (res) {
        setBusy(button, false);
        showAnswer(res);
        loadSink();  // (and the rows, when the counts moved)
      }).catch(function (err) {
        setBusy(button, false);
        setText("send-summary", reachFailure(err));
      });
    });
    $("records").addEventListener("input", function () { $("records").removeAttribute("aria-invalid"); });
    $("rows-prev").addEventListener("click", function () { goToPage(Math.max(0, rowsOffset - pageSize)); });
    $("rows-next").addEventListener("click", function () { goToPage(rowsOffset + pageSize); });
    $("columns-prev").addEventListener("click", function () { goToColumns(columnsOffset - COLUMNS_AT_ONCE); });
    $("columns-next").addEventListener("click", function () { goToColumns(columnsOffset + COLUMNS_AT_ONCE); });
    window.addEventListener("popstate", function () { pageFromAddress(); columnsFromAddress(); loadRows(); });

    pageFromAddress();
    columnsFromAddress();
    loadSink();  // (and the rows)
  }

  // ------------------------------------------------------------------ start

  function start() {
    setupToken();
    var page = document.body.getAttribute("data-page");
    // the service out of reach for the page's first request (restarted just then): said, and
    // asked again, as every later request is (the page stayed dead until reloaded)
    function begin() {
      loadConfig().then(function () {
        setText("load-error", "");
        if (page === "sources") sourcesPage();
        else if (page === "new") newSourcePage();
        else if (page === "source") sourcePage();
      }, function (err) {
        setText("load-error", reachFailure(err));
        setTimeout(begin, refreshMs());  // (3 s: the config never came)
      });
    }
    begin();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
