/* GraphiQL's fetcher for the Credit Hub (no websocket, no CDN).
 *
 * Queries and mutations are POSTed as JSON. Subscriptions are POSTed with
 * `Accept: multipart/mixed;subscriptionSpec="1.0"` (the hub's only streaming transport) and
 * the multipart/mixed answer is parsed into an async iterable that GraphiQL renders part by
 * part; stopping the subscription in GraphiQL aborts the request. Every request carries
 * `X-Credithub-Request`, which the hub's cross-site guard (hub/guards/cross_site.py) requires
 * of requests that bring cookies or multipart. An `Authorization: Bearer` with no token is left
 * out, so the pre-filled headers editor asks as the public until a token is pasted.
 */
(function (global) {
  "use strict";

  var STREAM_ACCEPT = 'multipart/mixed;subscriptionSpec="1.0",application/json';

  /* The operation that will run, as {kind: "query" | "mutation" | "subscription", name}: the
   * named one, or the document's only one — also when GraphiQL names an operation the document
   * no longer has (its operation name can lag a tab switch by a moment). Read with graphql-js,
   * as GraphiQL's bundle carries it; a document that does not parse is sent as it is, and the
   * hub says what is wrong with it. */
  function operationOf(query, operationName) {
    var graphql = global.GraphiQL && global.GraphiQL.GraphQL;
    try {
      var document = graphql.parse(query || "");
      var operation =
        graphql.getOperationAST(document, operationName || null) ||
        graphql.getOperationAST(document, null);
      if (operation) {
        return { kind: operation.operation, name: operation.name ? operation.name.value : null };
      }
    } catch (error) {
      // not parsed: sent as it is
    }
    return { kind: "query", name: operationName || null };
  }

  function requestHeaders(fromEditor, accept) {
    var headers = {
      "Content-Type": "application/json",
      Accept: accept,
      "X-Credithub-Request": "graphiql",
    };
    Object.keys(fromEditor || {}).forEach(function (name) {
      var value = fromEditor[name];
      if (value === null || value === undefined) return;
      value = String(value);
      if (name.toLowerCase() === "authorization" && /^\s*bearer\s*$/i.test(value)) return;
      headers[name] = value;
    });
    return headers;
  }

  function body(params) {
    var payload = { query: params.query };
    if (params.variables) payload.variables = params.variables;
    if (params.operationName) payload.operationName = params.operationName;
    return JSON.stringify(payload);
  }

  /* A non-GraphQL answer (the hub's {"error": {code, message}} refusals, or plain text) as
   * GraphQL errors, so GraphiQL shows the status, code and message. */
  async function answer(response) {
    var text = await response.text();
    var parsed;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return { errors: [{ message: "HTTP " + response.status + ": " + text }] };
    }
    if (parsed && parsed.error && !parsed.errors && !parsed.data) {
      return {
        errors: [{
          message: parsed.error.message,
          extensions: { code: parsed.error.code, httpStatus: response.status },
        }],
      };
    }
    return parsed;
  }

  function boundaryOf(contentType) {
    var found = /boundary="?([^";,]+)"?/i.exec(contentType);
    return found ? found[1] : "-";
  }

  /* The JSON bodies of a multipart/mixed stream, as they arrive. */
  async function* multipartBodies(stream, boundary) {
    var reader = stream.getReader();
    var decoder = new TextDecoder();
    var delimiter = "--" + boundary;
    var buffer = "";
    var started = false;
    try {
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        if (!started) {
          var first = buffer.indexOf(delimiter);
          if (first < 0) continue;
          buffer = buffer.slice(first + delimiter.length);
          started = true;
        }
        var end;
        while ((end = buffer.indexOf("\r\n" + delimiter)) >= 0) {
          var part = buffer.slice(0, end);
          buffer = buffer.slice(end + 2 + delimiter.length);
          var split = part.indexOf("\r\n\r\n");
          if (split >= 0) yield part.slice(split + 4);
        }
        if (buffer.slice(0, 2) === "--") return; // the closing delimiter
      }
    } finally {
      reader.cancel().catch(function () {});
    }
  }

  async function* subscribe(url, params, headers) {
    var controller = new AbortController();
    try {
      var response = await fetch(url, {
        method: "POST",
        headers: requestHeaders(headers, STREAM_ACCEPT),
        body: body(params),
        credentials: "same-origin",
        signal: controller.signal,
      });
      var type = response.headers.get("content-type") || "";
      if (!/^multipart\/mixed/i.test(type) || !response.body) {
        yield await answer(response); // refused before streaming: one JSON answer
        return;
      }
      for await (var text of multipartBodies(response.body, boundaryOf(type))) {
        var message = JSON.parse(text);
        if (message.payload) yield message.payload; // {} is a heartbeat
        if (message.errors) { // a transport error ends the stream
          yield { errors: message.errors };
          return;
        }
      }
    } finally {
      controller.abort();
    }
  }

  /* A GraphiQL fetcher for `url`. */
  function createFetcher(url) {
    return function fetcher(params, options) {
      var headers = (options && options.headers) || {};
      var operation = operationOf(params.query, params.operationName);
      var sent = {
        query: params.query,
        variables: params.variables,
        operationName: operation.name,
      };
      if (operation.kind === "subscription") return subscribe(url, sent, headers);
      return fetch(url, {
        method: "POST",
        headers: requestHeaders(headers, "application/json"),
        body: body(sent),
        credentials: "same-origin",
      }).then(answer);
    };
  }

  global.CredithubGraphiQL = {
    createFetcher: createFetcher,
    operationOf: operationOf,
    multipartBodies: multipartBodies,
  };
})(window);
