/* The GraphiQL page: GraphiQL with the hub's fetcher and default tabs, and — in local mode —
 * the role switcher, which mints a demo token (POST /graphiql/demo-tokens) and puts it into
 * the headers editor. Everything it loads comes from the hub (see hub/graphiql/page.py). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var root = document.getElementById("graphiql");
  var h = React.createElement;

  /* The identity the switcher chose: the headers it put in (null: the public), and every
   * headers text it ever put in, so a tab it filled follows it and a pasted token stays. */
  var identity = { headers: null, filled: [config.headers] };
  var editors = null;
  var schema = null;
  var retry = null;

  function followsSwitcher(text) {
    var trimmed = (text || "").trim();
    return trimmed === "" || trimmed === "{}" || identity.filled.indexOf(text) >= 0;
  }

  function applyIdentity() {
    if (!editors || !editors.headerEditor) return;
    var wanted = identity.headers || config.headers;
    var current = editors.headerEditor.getValue();
    if (current !== wanted && followsSwitcher(current)) editors.headerEditor.setValue(wanted);
  }

  /* Without a schema (in production the public may not introspect), read it again once the
   * headers have changed: a pasted or minted token then brings the docs and completion. */
  function introspectSoon() {
    clearTimeout(retry);
    retry = setTimeout(function () {
      if (schema && !schema.schema && !schema.isFetching) schema.introspect();
    }, 600);
  }

  /* Rendered inside GraphiQL (in its logo) to reach its editors and schema: each tab shown
   * gets the switcher's identity unless a token was pasted into it. */
  function Bridge() {
    editors = GraphiQL.React.useEditorContext({ nonNull: true });
    schema = GraphiQL.React.useSchemaContext({ nonNull: true });
    var headerEditor = editors.headerEditor;
    React.useEffect(applyIdentity, [editors.activeTabIndex, headerEditor]);
    React.useEffect(
      function () {
        if (!headerEditor) return undefined;
        headerEditor.on("change", introspectSoon);
        return function () { headerEditor.off("change", introspectSoon); };
      },
      [headerEditor]
    );
    return null;
  }

  ReactDOM.createRoot(root).render(
    h(
      GraphiQL,
      {
        fetcher: CredithubGraphiQL.createFetcher(config.endpoint),
        defaultTabs: config.tabs,
        defaultHeaders: config.headers,
        defaultEditorToolsVisibility: "headers",
        shouldPersistHeaders: false,
      },
      h(GraphiQL.Logo, null, "GraphiQL", h(Bridge))
    )
  );

  var form = document.getElementById("role-switcher");
  if (!form || !config.demoTokens) return;
  var select = document.getElementById("role-org");
  var purpose = document.getElementById("role-purpose");
  var status = document.getElementById("role-status");

  function say(text, failed) {
    status.textContent = text;
    status.className = failed ? "gq-status gq-error" : "gq-status";
  }

  function refusal(response, data) {
    var reason = data && data.error ? data.error.message : "HTTP " + response.status;
    return new Error(reason);
  }

  fetch(config.demoTokens, { headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw refusal(response, data);
        return data;
      });
    })
    .then(function (data) {
      var groups = {};
      data.organisations.forEach(function (org) {
        if (!groups[org.kindLabel]) {
          groups[org.kindLabel] = document.createElement("optgroup");
          groups[org.kindLabel].label = org.kindLabel;
          select.appendChild(groups[org.kindLabel]);
        }
        var option = document.createElement("option");
        option.value = org.code;
        option.textContent = org.shortName ? org.shortName + "（" + org.name + "）" : org.name;
        groups[org.kindLabel].appendChild(option);
      });
      say("共 " + data.organisations.length + " 个登记机构可选");
    })
    .catch(function (error) { say("无法读取机构名录：" + error.message, true); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!select.value) {
      identity.headers = null;
      applyIdentity();
      say("当前身份：社会公众（不带令牌）");
      return;
    }
    say("正在签发令牌…");
    fetch(config.demoTokens, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-Credithub-Request": "graphiql",
      },
      body: JSON.stringify({ org: select.value, purpose: purpose.value }),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw refusal(response, data);
          return data;
        });
      })
      .then(function (data) {
        identity.headers = JSON.stringify({ Authorization: "Bearer " + data.token }, null, 2);
        identity.filled.push(identity.headers);
        applyIdentity();
        var until = new Date(data.expiresAt);
        say(
          "当前身份：" + data.organisation.name + "（" + data.organisation.kindLabel + "）" +
            (data.purpose ? "，用途 " + data.purpose : "") +
            "，令牌有效至 " + until.toLocaleTimeString("zh-CN", { hour12: false })
        );
      })
      .catch(function (error) { say("签发失败：" + error.message, true); });
  });
})();
