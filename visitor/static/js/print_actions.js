// The print button under a case paper (受理回执, 一次性告知书).
document.getElementById("print")?.addEventListener("click", () => window.print());
