; inherits: yaml

; A value that is exactly one Conductor expression, such as ${workflow.input.version}, is coloured
; as a variable rather than a string (later patterns take precedence). Expressions inside longer
; strings stay strings: the grammar has no node for them.
((string_scalar) @variable
  (#match? @variable "^\\$\\{.*\\}$"))
((double_quote_scalar) @variable
  (#match? @variable "^\"\\$\\{.*\\}\"$"))
((single_quote_scalar) @variable
  (#match? @variable "^'\\$\\{.*\\}'$"))
