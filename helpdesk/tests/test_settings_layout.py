"""The settings package: one module per concern, and no setting decided in two places."""

import ast
from collections import Counter
from pathlib import Path

import helpdesk.settings as settings_package

MODULES = sorted(Path(settings_package.__file__).parent.glob("*.py"))


def _assigned(path: Path, *, under_if: bool = True) -> set[str]:
    """The UPPERCASE names a module sets at its top level, under an `if` too (imports left out)."""
    names: set[str] = set()
    pending = list(ast.parse(path.read_text()).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and under_if:
            pending += node.body + node.orelse
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def test_no_setting_is_set_in_two_modules():
    counts = Counter(name for path in MODULES for name in _assigned(path))
    assert [path.name for path in MODULES][:2] == ["__init__.py", "base.py"]
    assert counts["SECRET_KEY"] == 1 and counts["DATABASES"] == 1 and counts["LOGGING"] == 1
    assert {name for name, n in counts.items() if n > 1} == set()


def test_the_package_holds_every_setting_its_modules_set():
    assigned = set().union(*(_assigned(path) for path in MODULES))
    always = set().union(*(_assigned(path, under_if=False) for path in MODULES))
    exported = {name for name in dir(settings_package) if name.isupper()}
    assert always <= exported <= assigned and len(always) > 100
    assert Path(__file__).resolve().parents[2] == settings_package.BASE_DIR  # the checkout, not helpdesk/
    assert (settings_package.BASE_DIR / "manage.py").exists()
