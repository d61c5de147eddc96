// Small improvements; every page works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Print buttons appear only when a script can press print for the user.
  document.querySelectorAll("button.js-print").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
});
