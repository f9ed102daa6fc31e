"""docs/integrations.md shows the example the suite installs, and its test snippet works."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import EXAMPLE_PACKAGE

DOC = Path(__file__).parents[2] / "docs" / "integrations.md"


def test_the_complete_example_is_the_tested_plugin() -> None:
    source = (EXAMPLE_PACKAGE / "src" / "tipwire_example" / "sightings.py").read_text()
    assert f"```python\n{source}```" in DOC.read_text()


def test_the_testing_snippet_passes() -> None:
    section = DOC.read_text().split("## Testing it", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert snippet is not None
    namespace: dict[str, object] = {}
    exec(compile(snippet.group(1), str(DOC), "exec"), namespace)  # noqa: S102
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        assert callable(test)
        test()
