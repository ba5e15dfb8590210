// /api/v1/docs: Swagger UI (vendored, static/vendor/swagger-ui) over this server's
// OpenAPI document. Nothing is fetched from elsewhere: no validator badge, no remote spec.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
