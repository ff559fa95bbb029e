"""The floor plan holds (DESIGN §3): the kernel imports no app and no app imports the project,
campaigns has no import circle but a service and its task, and a wing's services import only
the wings below it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "campaigns", "smtp_accounts", "ai", "billing", "privacy", "api", "postigo"}
# leads ← tracking ← authoring ← sending ← inbox ← reports: each may use those left of it.
WINGS = ["leads", "tracking", "authoring", "sending", "inbox", "reports"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(package: str) -> dict[str, Path]:
    return {
        module_name(path): path
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imported(path: Path, known: set[str]) -> set[str]:
    """Every module `path` imports, at the top or inside a function (a lazy import is an
    import too); `from package import module` counts as the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def graph(package: str) -> dict[str, set[str]]:
    modules = modules_of(package)
    return {name: imported(path, set(modules)) & set(modules) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_kernel_imports_no_app():
    offenders = {
        name: sorted(m for m in imported(path, set()) if m.split(".")[0] in APPS - {"core"})
        for name, path in modules_of("core").items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("app", sorted(a for a in APPS - {"postigo"} if (ROOT / a).is_dir()))
def test_no_app_imports_the_project_on_the_top_floor(app):
    offenders = {
        name: sorted(m for m in imported(path, set()) if m.split(".")[0] == "postigo")
        for name, path in modules_of(app).items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_campaigns_has_no_import_circle_but_a_service_and_its_task():
    edges = graph("campaigns")
    assert "campaigns.sending.delivery" in edges  # the graph is read from the real tree
    # A service may queue its own task (a lazy import of campaigns.tasks, which calls it back):
    # without those arrows, no circle is left.
    queuing = {module for module, targets in edges.items() if "campaigns.tasks" in targets}
    assert queuing <= edges["campaigns.tasks"]  # each one is a service↔task pair
    without = {module: targets - {"campaigns.tasks"} for module, targets in edges.items()}
    assert cycles(without) == []


def test_a_circle_is_found_where_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def wing_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in WINGS else None


@pytest.mark.parametrize("wing", WINGS)
def test_a_wings_services_import_only_the_wings_below(wing):
    edges = graph("campaigns")
    below = set(WINGS[: WINGS.index(wing) + 1])
    upward = {
        module: sorted(other for other in targets if wing_of(other) not in below | {None})
        for module, targets in edges.items()
        if wing_of(module) == wing and not module.endswith((".views", "_views", ".forms"))
    }
    assert {module: found for module, found in upward.items() if found} == {}


def test_only_sending_and_the_tasks_reach_the_sender():
    importers = {
        module
        for module, targets in graph("campaigns").items()
        if "campaigns.sending.delivery" in targets
    }
    assert importers <= {"campaigns.tasks"} | {m for m in importers if wing_of(m) == "sending"}
    assert "campaigns.tasks" in importers


def test_every_celery_route_names_a_task_that_exists():
    from postigo.celery import app

    app.loader.import_default_modules()
    names = set(app.tasks)
    assert app.conf.task_routes
    for pattern in app.conf.task_routes:
        prefix = pattern.removesuffix("*")
        assert any(name.startswith(prefix) for name in names), pattern
