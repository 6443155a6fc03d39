"""deploy/Dockerfile, read with dockerfile-parse: dependency layers that do not depend on the
source, a pinned base, deploy/constraints.txt complete for pyproject.toml, a builder stage with a
compiler and a runtime stage without one, a non-root user, and a HEALTHCHECK that really
answers (the script runs here against the real metrics server).

No Docker engine here: nothing is built. deploy/check_arm64_wheels.sh (needs PyPI) checks which
dependencies the builder stage has to compile for linux/arm64.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from prometheus_client import CollectorRegistry

from streams.kafka.localbroker import free_port
from streams.metrics import serve_metrics
from streams.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CONSTRAINTS = "deploy/constraints.txt"
DOCKERIGNORE = ROOT / ".dockerignore"
SOURCE = {"pyproject.toml", "README.md", "streams", "agents"}
# A base image named by a full release tag and the digest of what that tag pointed to.
PINNED_IMAGE = re.compile(
    r"^python:(?P<python>3\.\d+\.\d+)-slim-(?P<debian>[a-z]+)@sha256:[0-9a-f]{64}$"
)
COMPILER_PACKAGES = {"build-essential", "gcc", "g++", "clang"}
# Dependencies whose PyPI releases have no linux/aarch64 wheel (deploy/check_arm64_wheels.sh,
# 2026-12-06): the builder stage compiles them for an arm64 image.
NO_AARCH64_WHEEL = {"eldc", "faust-streaming"}


@dataclass
class Instruction:
    keyword: str
    value: str

    def flags(self) -> dict[str, str]:
        """--name=value options before the arguments (--mount may repeat: joined by ' ')."""
        found: dict[str, str] = {}
        for word in shlex.split(self.value):
            match = re.fullmatch(r"--([a-z-]+)=(.*)", word)
            if not match:
                break
            name, value = match.groups()
            found[name] = f"{found[name]} {value}" if name in found else value
        return found

    def mounts(self) -> list[dict[str, str]]:
        mounts = []
        for word in shlex.split(self.value):
            if word.startswith("--mount="):
                mounts.append(dict(part.split("=", 1) for part in word[8:].split(",")))
        return mounts

    def arguments(self) -> list[str]:
        words = shlex.split(self.value)
        return [word for word in words if not re.fullmatch(r"--[a-z-]+=.*", word)]


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)


def parse_stages() -> list[Stage]:
    parser = DockerfileParser(path=str(DOCKERFILE))
    resolved_bases = iter(parser.parent_images)  # FROM images with ARG defaults substituted
    stages: list[Stage] = []
    for item in parser.structure:
        keyword, value = item["instruction"], item["value"]
        if keyword == "COMMENT":
            continue
        if keyword == "FROM":
            base = next(resolved_bases)
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, base))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, value))
    return stages


STAGES = parse_stages()
BY_NAME = {stage.name: stage for stage in STAGES}
RUNTIME = STAGES[-1]


def context_inputs(stage: Stage, upto: int | None = None) -> set[str]:
    """Build-context paths whose content reaches `stage` up to instruction `upto`: its COPYs,
    bind mounts of the context, and everything that reaches the stages it builds on, copies or
    mounts from. A layer is rebuilt exactly when one of these changes (or the base image)."""
    inputs: set[str] = set()
    if stage.base in BY_NAME:
        inputs |= context_inputs(BY_NAME[stage.base])
    for instruction in stage.instructions[: None if upto is None else upto + 1]:
        if instruction.keyword in ("COPY", "ADD"):
            source_stage = instruction.flags().get("from")
            if source_stage:
                inputs |= context_inputs(BY_NAME[source_stage])
            else:
                inputs |= set(instruction.arguments()[:-1])
        for mount in instruction.mounts():
            if "from" in mount:
                inputs |= context_inputs(BY_NAME[mount["from"]])
            elif mount.get("type", "bind") == "bind":
                inputs.add(mount.get("source", "."))
    return {path.rstrip("/").removeprefix("./") for path in inputs}


def runs(stage: Stage) -> Iterator[tuple[int, str]]:
    for index, instruction in enumerate(stage.instructions):
        if instruction.keyword == "RUN":
            yield index, instruction.value


def dependency_install(stage: Stage) -> int:
    (index,) = [i for i, run in runs(stage) if "pip install" in run and " -r " in run]
    return index


def package_install(stage: Stage) -> int:
    (index,) = [i for i, run in runs(stage) if "pip install" in run and "--no-deps" in run]
    return index


def pins() -> dict[str, Version]:
    pinned = {}
    for line in (ROOT / CONSTRAINTS).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not pinned with =="
            pinned[canonicalize_name(name)] = Version(version)
    return pinned


def freeze_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "freeze_constraints", ROOT / "deploy" / "freeze_constraints.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or one of its parent
    directories decides; `!` re-includes. `**` matches any number of directories."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        regex = re.escape(glob).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            excluded = not negate
    return excluded


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


# --- base image and stages -----------------------------------------------------------------------


def test_every_base_image_is_pinned_by_release_tag_and_digest() -> None:
    external = {stage.base for stage in STAGES if stage.base not in BY_NAME}
    assert external, "no base image"
    for base in external:
        match = PINNED_IMAGE.match(base)
        assert match, f"{base}: pin python:<x.y.z>-slim-<debian>@sha256:<digest>"
        # The constraints were frozen on 3.11 (deploy/freeze_constraints.py): same minor.
        assert match["python"].startswith("3.11."), base
    assert len(external) == 1, "every stage starts from the same base"


def test_a_builder_stage_compiles_and_the_runtime_stage_installs_wheels_only() -> None:
    builders = [
        stage
        for stage in STAGES[:-1]
        if any(
            "apt-get install" in run and set(run.split()) & COMPILER_PACKAGES
            for _, run in runs(stage)
        )
    ]
    assert builders, "no stage installs a compiler"
    (builder,) = builders
    wheel_runs = [run for _, run in runs(builder) if "pip wheel" in run]
    assert wheel_runs and f" -r {Path(CONSTRAINTS).name}" in wheel_runs[0]
    assert context_inputs(builder) == {CONSTRAINTS}
    for _, run in runs(RUNTIME):
        assert not set(run.split()) & COMPILER_PACKAGES, run
        if "pip install" in run:
            assert "--no-index" in run, f"the runtime stage fetches nothing: {run}"
    mounted = {m["from"] for i in RUNTIME.instructions for m in i.mounts() if "from" in m}
    assert builder.name in mounted, "the runtime stage installs the builder's wheels"


# --- layer order ---------------------------------------------------------------------------------


def test_dependency_layer_depends_on_the_constraints_file_only() -> None:
    index = dependency_install(RUNTIME)
    # No source file reaches the dependency install, so a change to the code reuses its layer.
    assert context_inputs(RUNTIME, upto=index) == {CONSTRAINTS}
    run = RUNTIME.instructions[index].value
    (copied,) = [
        i.arguments()[-1]
        for i in RUNTIME.instructions[:index]
        if i.keyword == "COPY" and i.arguments()[:-1] == [CONSTRAINTS]
    ]
    assert f"-r {copied}" in run


def test_the_package_is_installed_after_its_dependencies_without_them() -> None:
    dependencies, package = dependency_install(RUNTIME), package_install(RUNTIME)
    assert dependencies < package
    assert context_inputs(RUNTIME, upto=package) >= SOURCE
    run = RUNTIME.instructions[package].value
    assert "--no-deps" in run and "pip check" in run


def test_copied_paths_exist_and_are_not_dockerignored() -> None:
    patterns = dockerignore_patterns()
    for path in context_inputs(RUNTIME):
        assert (ROOT / path).exists(), path
        assert not dockerignored(path, patterns), f"{path} is excluded by .dockerignore"
        if (ROOT / path).is_dir():
            for child in (ROOT / path).rglob("*.py"):
                relative = child.relative_to(ROOT).as_posix()
                assert not dockerignored(relative, patterns), relative


def test_dockerignore_keeps_the_heavy_and_private_paths_out() -> None:
    patterns = dockerignore_patterns()
    for path in (".venv/bin/python", ".git/HEAD", "var/kafka/meta.properties",
                 "deploy/kafka/cache/lib/kafka.jar", "tests/unit/test_dockerfile.py",
                 "streams/__pycache__/cli.cpython-311.pyc"):  # fmt: skip
        assert dockerignored(path, patterns), path


def test_the_dockerignore_matcher_follows_docker_rules() -> None:
    assert dockerignored("a/b/c.txt", ["a"])
    assert not dockerignored("a/b/c.txt", ["a", "!a/b"])
    assert dockerignored("x/y/__pycache__/z.pyc", ["**/__pycache__"])
    assert not dockerignored("streams/cli.py", ["*", "!streams"])
    assert dockerignored("tests/x.py", ["*", "!streams"])


# --- constraints ---------------------------------------------------------------------------------


def test_every_runtime_dependency_of_pyproject_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = pins()
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in {CONSTRAINTS}"
        assert pinned[name] in requirement.specifier, f"{name}=={pinned[name]} vs {requirement}"
    # Nothing of the test extra goes into the image.
    for line in project["optional-dependencies"]["test"]:
        assert canonicalize_name(Requirement(line).name) not in pinned, line


def test_constraints_hold_what_each_pinned_distribution_requires() -> None:
    """The closure is complete for every pin whose version is installed here (its metadata is
    what the image installs); the image's `pip install --no-index` would fail on a gap."""
    freeze = freeze_module()
    environments = [freeze.image_environment(machine) for machine in ("x86_64", "aarch64")]
    pinned = pins()
    checked = 0
    for name, version in pinned.items():
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if Version(distribution.version) != version:
            continue
        checked += 1
        for line in distribution.requires or []:
            requirement = Requirement(line)
            env_with_extra = [env | {"extra": ""} for env in environments]
            if requirement.marker and not any(
                requirement.marker.evaluate(env) for env in env_with_extra
            ):
                continue
            needed = canonicalize_name(requirement.name)
            assert needed in pinned, f"{name} needs {needed}, not in {CONSTRAINTS}"
            assert pinned[needed] in requirement.specifier, f"{name} needs {requirement}"
    assert checked >= len(pinned) // 2, "too few pins installed here to check the closure"


def test_the_builder_compiles_every_dependency_without_an_aarch64_wheel() -> None:
    assert pins().keys() >= NO_AARCH64_WHEEL
    script = (ROOT / "deploy" / "check_arm64_wheels.sh").read_text(encoding="utf-8")
    (listed,) = re.findall(r"^COMPILED_IN_BUILDER=\(([^)]*)\)", script, re.MULTILINE)
    assert set(listed.split()) == NO_AARCH64_WHEEL


# --- user, ports, environment, health check ------------------------------------------------------


def test_the_runtime_runs_as_a_numeric_non_root_user_it_created() -> None:
    users = [i.value for i in RUNTIME.instructions if i.keyword == "USER"]
    assert users, "no USER in the runtime stage"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
    assert uid.isdigit() and uid != "0" and gid.isdigit() and gid != "0"
    created = [run for _, run in runs(RUNTIME) if "useradd" in run]
    assert created and f"--uid {uid}" in created[0]
    keywords = [i.keyword for i in RUNTIME.instructions]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_image_environment_is_accepted_by_settings_and_exposes_the_metrics_ports() -> None:
    parser = DockerfileParser(path=str(DOCKERFILE))
    environment = {k: v for k, v in parser.envs.items() if k.startswith("WIREWATCH_")}
    settings = load_settings(environ=environment)
    assert settings.metrics_host == "0.0.0.0"
    exposed = {
        int(p) for i in RUNTIME.instructions if i.keyword == "EXPOSE" for p in i.value.split()
    }
    assert exposed == {settings.worker_metrics_port, settings.poller_metrics_port}


def healthcheck_script() -> Path:
    (check,) = [i for i in RUNTIME.instructions if i.keyword == "HEALTHCHECK"]
    command = check.value.split("CMD", 1)[1].strip()
    words = [str(word) for word in json.loads(command)]
    assert words[0] == "python"
    (copy,) = [
        i.arguments()
        for i in RUNTIME.instructions
        if i.keyword == "COPY" and i.arguments()[-1] == words[1]
    ]
    return ROOT / copy[0]


def run_healthcheck(worker_port: int, poller_port: int) -> int:
    env = {
        "PATH": "/usr/bin:/bin",
        "WIREWATCH_WORKER_METRICS_PORT": str(worker_port),
        "WIREWATCH_POLLER_METRICS_PORT": str(poller_port),
    }
    return subprocess.run(
        [sys.executable, str(healthcheck_script())], env=env, cwd=ROOT, timeout=30, check=False
    ).returncode


def test_healthcheck_passes_only_while_livez_answers_200() -> None:
    live = {"status": 200}
    registry = CollectorRegistry()
    checks = {"/livez": lambda: (live["status"], b"ok\n")}
    port = serve_metrics(registry, "127.0.0.1", 0, checks)
    closed = free_port()
    assert run_healthcheck(port, closed) == 0  # a worker answering
    assert run_healthcheck(closed, port) == 0  # a poller answering
    live["status"] = 503  # the event loop stopped answering
    assert run_healthcheck(port, closed) == 1
    assert run_healthcheck(closed, free_port()) == 1  # nothing listening
    # Only /livez counts: a server answering just /metrics (404 elsewhere) is not healthy.
    other = serve_metrics(CollectorRegistry(), "127.0.0.1", 0, {})
    assert run_healthcheck(other, closed) == 1


@pytest.mark.parametrize("source", ["agents/worker.py", "streams/runner.py"])
def test_the_health_path_is_served_by_worker_and_poller(source: str) -> None:
    script = healthcheck_script().read_text(encoding="utf-8")
    # The URL the script asks: http://127.0.0.1:{port}/<path>
    (path,) = re.findall(r'f"http://127\.0\.0\.1:\{port\}/(\w+)"', script)
    assert f'"/{path}"' in (ROOT / source).read_text(encoding="utf-8")
    assert path == "livez"
