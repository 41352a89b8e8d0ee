"""Docstrings as the terminal shows them, rendered for the site.

jaxlearn's docstrings write the lecture's formulas in Unicode on indented lines, readable in
`help()`:

        L(θ) = 1/(2M) ‖Xθ − y‖² + λ/2 ‖θ‖²        (eqs. 7 and 18)

reStructuredText would read such a line as a block quote of prose (and a `*` in it as the start
of emphasis). This hook, run on every docstring autodoc reads, turns

* an indented block whose every line is a formula (it has = ≤ ≥ ∝ ← or →, and no more than a few
  words of prose) into a ``.. math::`` block, rendered by MathJax: Unicode letters pass through,
  the symbols TeX spells differently are translated, words and the equation numbers become text;
* any other indented block (a table of names, a command) into a literal block;
* a `*args`-style star, a `|` and a trailing `_` (`coef_`) in running text into literal characters.
"""

import re

# Unicode → TeX, for the symbols MathJax's TeX input does not read as such
TEX = {
    "−": "-", "·": r"\cdot ", "∘": r"\circ ", "‖": r"\|", "∇": r"\nabla ", "∂": r"\partial ",
    "Σ": r"\sum ", "∑": r"\sum ", "∏": r"\prod ", "√": r"\sqrt ", "≤": r"\le ", "≥": r"\ge ",
    "≈": r"\approx ", "∝": r"\propto ", "→": r"\to ", "←": r"\leftarrow ", "∈": r"\in ",
    "×": r"\times ", "∞": r"\infty ", "ᵀ": r"^{\top}", "⁻¹": "^{-1}", "²": "^{2}", "³": "^{3}",
    "ⁱ": "^{i}", "ˡ": "^{l}", "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "ᵢ": "_{i}", "ⱼ": "_{j}",
    "⊙": r"\odot ", "⌈": r"\lceil ", "⌉": r"\rceil ", "≠": r"\ne ", "…": r"\ldots ", "%": r"\%",
    "#": r"\#", "&": r"\&", "~": r"\sim ",     # braces and _ pass: the docstrings write W^{l+1}, ‖g‖_∞
}
RELATIONS = set("=≤≥∝←→")
WORD = re.compile(r"[A-Za-z][a-z]{2,}(?:[-'][a-z]+)*")       # prose: three letters or more
EQUATION_NUMBER = re.compile(r"\((?:eqs?\.|lecture|slide)[^)]*\)")
STAR = re.compile(r"(?<![\w*`\\])\*{1,2}(?=[A-Za-z_(])")     # *args, **kwargs, *data
TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[\s,.;:)\]}]|$)")  # coef_, alpha_: not link targets
CODE_SPAN = re.compile(r"(``.+?``|`[^`]+`)")


FORMULA_END = re.compile(r"\s\((?=eqs?\.|lecture|the |module|a |an |for |(?!softmax|softplus|clip|diag)[a-z]{4,})|"
                         r"\sfor each|\.\s|\.$|"
                         r",\s(?=by |derived|through|computed|written|without|for |the )|;\s|:\s")
OPERATORS = {"ln": r"\ln", "exp": r"\exp", "max": r"\max", "min": r"\min", "log": r"\log",
             "softmax": r"\operatorname{softmax}", "clip": r"\operatorname{clip}", "diag": r"\operatorname{diag}",
             "softplus": r"\operatorname{softplus}", "var": r"\operatorname{var}"}


def summary_formula(line: str) -> str:
    """A summary line that opens with a formula ("L(θ) = … (eqs. 7 and 18).") with it as :math:."""
    head = line.split("=")[0] if "=" in line else ""
    if not head or "`" in head or [w for w in WORD.findall(head) if len(w) > 3 and w not in OPERATORS]:
        return line
    end = FORMULA_END.search(line)
    formula, rest = (line[:end.start()], line[end.start():]) if end else (line, "")
    prose = [w for w in WORD.findall(formula) if len(w) > 3 and w not in OPERATORS]
    if "`" in formula or not (RELATIONS & set(formula)) or len(prose) > 1:
        return line
    return ":math:`" + to_tex(formula.strip()) + "`" + rest


def _is_formula(line: str) -> bool:
    prose = [w for w in WORD.findall(EQUATION_NUMBER.sub("", line)) if len(w) > 3]
    return bool(RELATIONS & set(line)) and len(prose) <= 3 and ">>>" not in line


def to_tex(line: str) -> str:
    """One formula line in TeX: symbols translated, words and equation numbers as \\text."""
    pieces, last = [], 0
    spans = [m.span() for m in EQUATION_NUMBER.finditer(line)]
    for m in re.finditer(r"[A-Za-z][a-z]+(?:[-'][a-z]+)*", line):
        word = m.group(0)
        if any(a <= m.start() < b for a, b in spans) or not (word in OPERATORS or WORD.fullmatch(word)):
            continue
        if m.start() > 0 and (line[m.start() - 1].isalnum() or line[m.start() - 1] in "_^\\"):
            continue                                      # part of a symbol: x_sc, σ_run
        spans.append(m.span())
    for a, b in sorted(spans):
        pieces.append(_symbols(line[last:a]))
        word = line[a:b]
        pieces.append(OPERATORS[word] + " " if word in OPERATORS else r"\text{ " + word.replace("%", r"\%") + " }")
        last = b
    pieces.append(_symbols(line[last:]))
    tex = "".join(pieces).strip()
    return re.sub(r"\s{3,}", r" \\qquad ", tex)


_SYMBOL = re.compile("|".join(re.escape(k) for k in sorted(TEX, key=len, reverse=True)))


def _symbols(text: str) -> str:
    return _SYMBOL.sub(lambda m: TEX[m.group(0)], text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def rewrite(lines: list[str]) -> list[str]:
    if lines and lines[0].strip():
        lines = [summary_formula(lines[0]), *lines[1:]]
    out, i, literal = [], 0, None      # literal: the indent of a paragraph that ended with '::'
    while i < len(lines):
        line = lines[i]
        prev = out[-1] if out else ""
        if line.strip() and literal is not None and _indent(line) <= literal:
            literal = None
        starts_block = (literal is None and line.strip() and prev.strip() == "" and i > 0
                        and _indent(line) > _base(out) and not _in_section(out))
        if not starts_block:
            out.append(line if literal is not None else _escape_inline(line))
            if line.rstrip().endswith("::"):
                literal = _indent(line)
            i += 1
            continue
        j = i
        while j < len(lines) and (lines[j].strip() == "" or _indent(lines[j]) >= _indent(line)):
            j += 1
        while j > i and lines[j - 1].strip() == "":
            j -= 1
        block = lines[i:j]
        text = [b for b in block if b.strip()]
        if all(_is_formula(b) for b in text):
            out += [".. math::", ""]
            out += ["   " + to_tex(b.strip()) + (r" \\" if k < len(text) - 1 else "") for k, b in enumerate(text)]
        else:
            out += ["::", ""] + ["   " + b[_indent(line):] if b.strip() else "" for b in block]
        out.append("")
        i = j
    return out


def _base(out: list[str]) -> int:
    """Indent of the last non-blank line written (the paragraph the block follows)."""
    for line in reversed(out):
        if line.strip():
            return _indent(line)
    return 0


def _in_section(out: list[str]) -> bool:
    """Inside a Google-style section (Args:, Returns:, …): napoleon owns its indentation."""
    for line in reversed(out):
        if line.strip() and _indent(line) == 0:
            return bool(re.match(r"^(Args|Arguments|Returns|Yields|Raises|Attributes|Example|Examples|Note|Notes|"
                                 r"Warning|Warns|References|See Also|Parameters|Keyword Args):\s*$", line))
    return False


def _escape_inline(line: str) -> str:
    """Literal `*`, `|` and trailing `_` in running text (outside code spans and examples)."""
    if line.lstrip().startswith(">>>") or line.lstrip().startswith("..."):
        return line
    parts = CODE_SPAN.split(line)
    for k in range(0, len(parts), 2):                     # the even parts lie outside `code`
        text = STAR.sub(lambda m: "\\" + "\\".join(m.group(0)), parts[k])
        text = TRAILING_UNDERSCORE.sub(r"\\_", text.replace("|", "\\|"))
        parts[k] = text
    return "".join(parts)


def process_docstring(app, what, name, obj, options, lines):
    lines[:] = rewrite(lines)


def setup(app):
    app.connect("autodoc-process-docstring", process_docstring)
    return {"parallel_read_safe": True, "version": "1"}
