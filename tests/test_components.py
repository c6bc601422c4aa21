"""The inventory of components (ASVS 15.1.2): every dependency named, with its version."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_sbom_names_every_dependency_with_its_version(tmp_path):
    output = tmp_path / "sbom.cdx.json"
    tool = Path(sys.executable).with_name("cyclonedx-py")
    options = ["--pyproject", ROOT / "pyproject.toml", "--output-reproducible"]
    subprocess.run(
        [tool, "environment", sys.executable, *options, "--output-file", output],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sbom = json.loads(output.read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    listed = {
        re.sub(r"[-_.]+", "-", component["name"]).lower(): component
        for component in sbom["components"]
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement)[0]).lower()
        component = listed.get(name)
        assert component is not None, f"{name} is missing from the SBOM"
        assert component["version"] and component["purl"].startswith(f"pkg:pypi/{name}@")
