// Starts Redoc on the document named by the page. It lives in its own file so that the page
// needs no inline script (the docs pages get a Content-Security-Policy without one).
(function () {
  "use strict";
  var root = document.getElementById("redoc");
  document.body.style.margin = "0";
  Redoc.init(
    root.getAttribute("data-spec-url"),
    { expandResponses: "200,201", hideHostname: true, sortPropsAlphabetically: false },
    root
  );
})();
