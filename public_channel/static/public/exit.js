// Quick exit: leave for the neutral site replacing this page in the history (Back does not
// return here); also on Escape. Without JavaScript the link still works as a plain link.
(function () {
  var link = document.getElementById("quick-exit");
  if (!link) return;
  function leave(e) {
    if (e) e.preventDefault();
    document.body.style.display = "none";
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" || e.key === "Esc") leave(e);
  });
})();
