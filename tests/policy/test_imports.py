"""The policy has one front door, and sits below the store it decides over.

Every module outside ``accord.policy`` imports its names from the package (which exports them
lazily, see ``accord/policy/__init__.py``), never from a submodule: what the policy offers is
what the package exports. And the policy does not import the shared-object store at run time
(type hints aside): it is handed objects and querysets, so that ``accord.sharing`` may import
the policy without a cycle. Only its HTTP layer, above both, calls the store.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import accord
import accord.policy

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(accord.__file__).resolve().parent
POLICY = SOURCE / "policy"


def _python_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        yield from sorted(root.rglob("*.py"))


def _imports(path: Path, *, runtime_only: bool = False) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every module ``path`` imports (``from package import name`` gives
    ``package.name``, so a submodule imported that way is seen); with ``runtime_only``, those
    under ``if TYPE_CHECKING:`` left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _submodules() -> set[str]:
    return {f"accord.policy.{path.stem}" for path in POLICY.glob("*.py") if path.stem != "__init__"} | {
        f"accord.policy.{path.name}" for path in POLICY.iterdir() if (path / "__init__.py").exists()
    }


def test_outside_the_policy_every_name_comes_from_the_package():
    submodules = _submodules()
    assert "accord.policy.decision" in submodules
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _python_files(SOURCE, ROOT / "tests", ROOT / "bench")
        if POLICY not in path.parents
        for line, module in _imports(path)
        if any(module == name or module.startswith(f"{name}.") for name in submodules)
    ]
    assert offenders == [], "import these from accord.policy (add them to its exports if need be)"


def test_the_package_exports_what_it_lists():
    for name in accord.policy.__all__:
        assert getattr(accord.policy, name) is not None, name


def test_the_policy_does_not_import_the_store_at_run_time():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _python_files(POLICY)
        if "migrations" not in path.parts
        for line, module in _imports(path, runtime_only=True)
        if module.startswith("accord.sharing")
    ]
    assert offenders == []
