// A scanner types the code and presses Enter: go on to the people instead of submitting.
document.getElementById("id_code").addEventListener("keydown", function (e) {
  if (e.key === "Enter") { e.preventDefault(); document.getElementById("id_q").focus(); }
});
