"""A PEP 517 build backend for the agentmesh client, standard library only.

It builds a pure-Python wheel of the ``agentmesh`` package (and an sdist, and a PEP 660 editable wheel), so that
``pip install ./clients/python`` works without fetching a build tool from a package index.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "agentmesh"


def _project() -> Tuple[str, str, str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[project]", 1)[1]

    def field(key: str) -> str:
        m = re.search(rf'^{key}\s*=\s*"([^"]*)"', section, re.M)
        if not m:
            raise RuntimeError(f"pyproject.toml: [project] has no {key}")
        return m.group(1)

    return field("name"), field("version"), field("description"), field("requires-python")


def _metadata() -> str:
    name, version, summary, requires_python = _project()
    readme = (ROOT / "README.md").read_text()
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n"
            f"Requires-Python: {requires_python}\nLicense: Apache-2.0\n"
            f"Description-Content-Type: text/markdown\n\n{readme}")


def _dist_info() -> str:
    name, version, _, _ = _project()
    return f"{name}-{version}.dist-info"


def _wheel_name() -> str:
    name, version, _, _ = _project()
    return f"{name}-{version}-py3-none-any.whl"


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _package_files() -> List[Path]:
    out = []
    for path in sorted((ROOT / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            out.append(path)
    return out


def _write_wheel(directory: str, files: Dict[str, bytes]) -> str:
    dist_info = _dist_info()
    files = dict(files)
    files[f"{dist_info}/METADATA"] = _metadata().encode()
    files[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: agentmesh_build\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n")
    record = io.StringIO()
    for arcname, data in files.items():
        record.write(f"{arcname},{_digest(data)},{len(data)}\n")
    record.write(f"{dist_info}/RECORD,,\n")
    files[f"{dist_info}/RECORD"] = record.getvalue().encode()
    target = Path(directory) / _wheel_name()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files.items():
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return target.name


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[dict] = None) -> str:
    target = Path(metadata_directory) / _dist_info()
    target.mkdir(parents=True, exist_ok=True)
    (target / "METADATA").write_text(_metadata())
    (target / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: agentmesh_build\nRoot-Is-Purelib: true\n"
                                  "Tag: py3-none-any\n")
    return target.name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None,
                metadata_directory: Optional[str] = None) -> str:
    files = {path.relative_to(ROOT).as_posix(): path.read_bytes() for path in _package_files()}
    return _write_wheel(wheel_directory, files)


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None,
                   metadata_directory: Optional[str] = None) -> str:
    return _write_wheel(wheel_directory, {f"{PACKAGE}_editable.pth": (str(ROOT) + os.linesep).encode()})


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    name, version, _, _ = _project()
    base = f"{name}-{version}"
    target = Path(sdist_directory) / f"{base}.tar.gz"
    members = [ROOT / "pyproject.toml", ROOT / "README.md", ROOT / "_build" / "agentmesh_build.py",
               *_package_files()]
    with tarfile.open(target, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in members:
            info = tar.gettarinfo(str(path), arcname=f"{base}/{path.relative_to(ROOT).as_posix()}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            with open(path, "rb") as f:
                tar.addfile(info, f)
        pkg_info = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return target.name
