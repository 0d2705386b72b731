/* The API documentation page (templates/api/docs.html, config/http/docs.py):
   starts Swagger UI with the settings of the page's JSON block. A static
   file, so the page needs no inline script under the Content-Security-Policy. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);

  // "Try it out" with the session: Django wants the CSRF token on a write.
  // A bearer token (the Authorize button) needs none, and it does no harm.
  function requestInterceptor(request) {
    if (request.method && request.method.toUpperCase() !== "GET") {
      request.headers[config.csrfHeaderName] = config.csrfToken;
    }
    return request;
  }

  window.SwaggerUIBundle(Object.assign({
    url: config.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: requestInterceptor
  }, config.settings));
})();
