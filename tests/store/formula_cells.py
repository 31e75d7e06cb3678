"""Free-text values a spreadsheet would run as formulas: one per dangerous first character of
OWASP's CSV-injection rule, each short enough for every text column (color: 30)."""

FORMULA_CELLS = (
    '=HYPERLINK("http://ev.il")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-3+4",
    "@SUM(A1:A9)",
    "\t=1+5",
    "\r=1+6",
)
