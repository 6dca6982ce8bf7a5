"""The demo's boundaries: production code reaches the demo only through ``auditor.connectors.live`` (and the
CLI's demo command), and the demo's platforms are registered, connector kinds, with no platform named outside
its own package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import auditor
from auditor.connectors.base import connector_kinds
from auditor.demo.company import build_company
from auditor.demo.platforms import demo_platforms, registered

PACKAGE = Path(auditor.__file__).parent
DEMO = PACKAGE / "demo"
ALLOWED = {PACKAGE / "connectors" / "live.py", PACKAGE / "cli" / "demo.py", PACKAGE / "cli" / "__init__.py"}
CONFIG_ORDER = ["meta", "linkedin", "tiktok", "x", "pinterest", "google_ads", "import", "shopify", "woocommerce", "gtm",
                "ga4", "magento"]


def demo_imports(path: Path) -> list[str]:
    """The ``auditor.demo`` modules ``path`` imports (at any depth of the module), as dotted names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found += [name for name in names if name == "auditor.demo" or name.startswith("auditor.demo.")]
    return found


def test_only_the_live_connection_and_the_demo_command_import_the_demo() -> None:
    offenders = {
        str(path.relative_to(PACKAGE.parent)): demo_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if DEMO not in path.parents and path not in ALLOWED and demo_imports(path)
    }
    assert offenders == {}


def test_the_boundary_check_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from auditor.demo.runtime import running_sandboxes\n    import auditor.demo\n")
    assert demo_imports(module) == ["auditor.demo.runtime", "auditor.demo.runtime.running_sandboxes",
                                    "auditor.demo"]


def test_every_demo_platform_is_a_connector_kind_in_config_order() -> None:
    kinds = [entry.kind for entry in registered()]
    assert kinds == CONFIG_ORDER
    assert set(kinds) <= set(connector_kinds())


def test_every_tenant_comes_from_a_registered_platform_in_config_order() -> None:
    tenants = demo_platforms(build_company())
    assert [CONFIG_ORDER.index(t.kind) for t in tenants] == sorted(CONFIG_ORDER.index(t.kind) for t in tenants)
    assert {t.kind for t in tenants} == set(CONFIG_ORDER)


def test_no_platform_is_named_in_a_condition_outside_its_own_package() -> None:
    kind_test = re.compile(r"""\bkind\s*(==|!=)\s*["'](\w+)["']""")
    platforms = set(connector_kinds())
    offenders = []
    for path in sorted(DEMO.rglob("*.py")):
        package = path.relative_to(DEMO).parts[0] if len(path.relative_to(DEMO).parts) > 1 else None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in kind_test.finditer(line):
                if match.group(2) not in platforms:
                    continue
                own = {"import": "file_import"}.get(match.group(2), match.group(2))
                if own != package:
                    offenders.append(f"{path.relative_to(DEMO)}:{number}: {line.strip()}")
    assert offenders == []
