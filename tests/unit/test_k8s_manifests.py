"""deploy/k8s/: every manifest against the Kubernetes JSON schemas (offline, kubernetes-validate),
the ServiceMonitor against its shape, and the references between them and wirewatch itself:
settings, probe paths and ports, secrets as files, selectors, job names, the image's user.

No cluster here: what a kube-apiserver or an admission controller would add (defaults, quota,
the CRD's own server-side validation) is not checked.
"""

from __future__ import annotations

import base64
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from kubernetes_validate.utils import ValidationError, all_versions, validate

from streams.cli import build_parser
from streams.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
EXAMPLE_SECRET = "secret.example.yaml"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"

# The agreed endpoints (docs/operations.md, "Health and readiness"), and the source files whose
# route tables serve them: the worker's and the poller's. An unknown path answers 404, so a
# probe on a misspelt path would fail in the cluster, not here, without this check.
LIVENESS_PATH = "/livez"
READINESS_PATH = "/readyz"
METRICS_PATH = "/metrics"
SERVED_BY = {"worker": ROOT / "agents" / "worker.py", "poll": ROOT / "streams" / "runner.py"}
# Peak resident set of one worker measured by bench/chain_bench.py --items 5000 (realistic
# stream, link stage on): a limit below it would have the kubelet kill a worker under load.
WORKER_PEAK_RSS_MEASURED = 1021 * 2**20
# Oldest Kubernetes minor the manifests must work on, and the newest the package ships.
OLDEST_KUBERNETES = "1.30"
KUBERNETES_VERSIONS = (OLDEST_KUBERNETES, all_versions()[-1])
# Pod Security Standards, "restricted": the volume types it allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip
DURATION = (
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
)
# The part of monitoring.coreos.com/v1 ServiceMonitor these manifests use, as the Prometheus
# Operator's CRD defines it (field names, types, required fields and duration format); the CRD
# is not among the Kubernetes schemas, and a cluster without the operator rejects the kind.
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "$defs": {
        "labelSelector": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                "matchExpressions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["key", "operator"],
                        "properties": {
                            "key": {"type": "string"},
                            "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                            "values": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {"$ref": "#/$defs/labelSelector"},
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "any": {"type": "boolean"},
                        "matchNames": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "jobLabel": {"type": "string"},
                "targetLabels": {"type": "array", "items": {"type": "string"}},
                "podTargetLabels": {"type": "array", "items": {"type": "string"}},
                "sampleLimit": {"type": "integer", "minimum": 0},
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "targetPort": {"type": ["string", "integer"]},
                            "path": {"type": "string", "pattern": "^/"},
                            "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
                            "interval": {"type": "string", "pattern": DURATION},
                            "scrapeTimeout": {"type": "string", "pattern": DURATION},
                            "honorLabels": {"type": "boolean"},
                            "relabelings": {"type": "array", "items": {"type": "object"}},
                            "metricRelabelings": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
            },
        },
    },
}


def load_documents() -> list[tuple[str, dict[str, Any]]]:
    """(file name, object) for every object in deploy/k8s/ but the kustomization."""
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path == KUSTOMIZATION:
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                documents.append((path.name, document))
    return documents


DOCUMENTS = load_documents()


def objects(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in DOCUMENTS if document["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    found = [document for document in objects(kind) if document["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def workloads() -> list[dict[str, Any]]:
    return objects("StatefulSet") + objects("Deployment")


def workload_ids() -> list[str]:
    return [f"{w['kind']}/{w['metadata']['name']}" for w in workloads()]


def only_container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def command_of(workload: dict[str, Any]) -> str:
    """The wirewatch subcommand the container runs (the image's ENTRYPOINT is `wirewatch`)."""
    container = only_container(workload)
    assert "command" not in container, "keep the image's ENTRYPOINT; give the subcommand in args"
    return str(build_parser().parse_args(container["args"]).command)


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against a label set."""
    if not all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        holds = {
            "In": present and labels.get(key) in (values or []),
            "NotIn": not present or labels.get(key) not in (values or []),
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not holds:
            return False
    return True


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return dict(workload["spec"]["template"]["metadata"]["labels"])


def quantity(value: str | int) -> float:
    """A Kubernetes resource quantity in base units (bytes, cores)."""
    suffixes = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "m": 1e-3,
                "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}  # fmt: skip
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match, value
    number, suffix = match.groups()
    return float(number) * (suffixes[suffix] if suffix else 1)


def secret_files(secret: dict[str, Any]) -> dict[str, bytes]:
    files = {key: str(value).encode() for key, value in secret.get("stringData", {}).items()}
    files.update({key: base64.b64decode(value) for key, value in secret.get("data", {}).items()})
    return files


def materialise_mounts(workload: dict[str, Any], into: Path) -> dict[str, Path]:
    """Write what each ConfigMap and Secret volume of the pod would show at its mountPath under
    `into`; {mountPath: local directory}. Fails on a volume whose object does not exist."""
    pod = workload["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounted = {}
    for mount in only_container(workload)["volumeMounts"]:
        assert mount["name"] in volumes, f"volumeMount {mount['name']} has no volume"
        volume = volumes[mount["name"]]
        directory = into / mount["name"]
        directory.mkdir()
        if "configMap" in volume:
            files = {
                key: value.encode()
                for key, value in named("ConfigMap", volume["configMap"]["name"])["data"].items()
            }
        elif "secret" in volume:
            files = secret_files(named("Secret", volume["secret"]["secretName"]))
        else:
            files = {}
        for key, content in files.items():
            (directory / key).write_bytes(content)
        mounted[mount["mountPath"]] = directory
    return mounted


def local_path(value: str, mounted: Mapping[str, Path]) -> str:
    """A container path as the local file materialise_mounts wrote for it, if under a mount."""
    for mount_path, directory in mounted.items():
        if PurePosixPath(value).is_relative_to(mount_path):
            return str(directory / PurePosixPath(value).relative_to(mount_path))
    return value


def pod_name(workload: dict[str, Any]) -> str:
    """The first pod's name: <name>-0 for a StatefulSet, a generated one for a Deployment."""
    suffix = "-0" if workload["kind"] == "StatefulSet" else "-7d9c8b6f5d-x2x4q"
    return f"{workload['metadata']['name']}{suffix}"


def container_environment(workload: dict[str, Any], mounted: Mapping[str, Path]) -> dict[str, str]:
    """The container's WIREWATCH_* environment as the kubelet would give it, file paths pointing
    at the materialised mounts."""
    environment = {}
    for variable in only_container(workload)["env"]:
        name = variable["name"]
        if "value" in variable:
            environment[name] = local_path(str(variable["value"]), mounted)
            continue
        source = variable["valueFrom"]
        if "fieldRef" in source:
            assert source["fieldRef"]["fieldPath"] == "metadata.name", name
            environment[name] = pod_name(workload)
        elif "secretKeyRef" in source:
            reference = source["secretKeyRef"]
            secret = secret_files(named("Secret", reference["name"]))
            environment[name] = secret[reference["key"]].decode()
        elif "configMapKeyRef" in source:
            reference = source["configMapKeyRef"]
            environment[name] = named("ConfigMap", reference["name"])["data"][reference["key"]]
        else:
            raise AssertionError(f"{name}: unexpected valueFrom {source}")
    return environment


def container_settings(workload: dict[str, Any], tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    mounted = materialise_mounts(workload, tmp_path)
    environment = container_environment(workload, mounted)
    # Raises SettingsError on an unknown WIREWATCH_* name, a bad value, a missing secret file or
    # an unreadable config file: a renamed setting breaks this test.
    return load_settings(environ=environment), environment


def metrics_port_of(settings: Settings, command: str) -> int:
    return settings.worker_metrics_port if command == "worker" else settings.poller_metrics_port


def container_port(container: dict[str, Any], port: str | int) -> int:
    if isinstance(port, int):
        return port
    numbers = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    assert numbers, f"no container port named {port}"
    return int(numbers[0])


def services_selecting(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        s for s in objects("Service") if selects({"matchLabels": s["spec"]["selector"]}, labels)
    ]


def prometheus_job_names() -> set[str]:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    return {job["job_name"] for job in config["scrape_configs"]}


def image_user() -> str:
    parser = DockerfileParser(path=str(ROOT / "deploy" / "Dockerfile"))
    users = [i["value"] for i in parser.structure if i["instruction"] == "USER"]
    return str(users[-1])


def schema_cases() -> Iterator[Any]:
    for file_name, document in DOCUMENTS:
        if document["apiVersion"].startswith("monitoring.coreos.com/"):
            continue
        for version in KUBERNETES_VERSIONS:
            yield pytest.param(document, version, id=f"{file_name}:{document['kind']}:{version}")


# --- schemas -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("document", "version"), list(schema_cases()))
def test_manifest_validates_against_the_kubernetes_schema(
    document: dict[str, Any], version: str
) -> None:
    # strict: an unknown or misspelt field is an error, not silently dropped by the API server.
    try:
        validate(document, version, strict=True)
    except ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        pytest.fail(
            f"{document['kind']}/{document['metadata']['name']} at {where}: {error.message}"
        )


def test_the_schema_check_catches_a_misspelt_field() -> None:
    worker = named("StatefulSet", "wirewatch-worker")
    broken = yaml.safe_load(yaml.safe_dump(worker))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(ValidationError):
        validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_service_monitor_has_the_operator_crd_shape() -> None:
    (monitor,) = objects("ServiceMonitor")
    jsonschema.Draft202012Validator(SERVICE_MONITOR_SCHEMA).validate(monitor)


def test_kustomization_applies_every_manifest_but_the_example_secret() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    files = {path.name for path in K8S.glob("*.yaml")} - {KUSTOMIZATION.name}
    assert listed == files - {EXAMPLE_SECRET}
    (namespace,) = objects("Namespace")
    assert kustomization["namespace"] == namespace["metadata"]["name"]
    assert [image["name"] for image in kustomization["images"]] == ["wirewatch"]


# --- references between the manifests ------------------------------------------------------------


def test_every_namespaced_object_is_in_the_wirewatch_namespace() -> None:
    (namespace,) = objects("Namespace")
    for _, document in DOCUMENTS:
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == namespace["metadata"]["name"]


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_selectors_match_the_pod_labels(workload: dict[str, Any]) -> None:
    labels = pod_labels(workload)
    assert selects(workload["spec"]["selector"], labels)
    others = [pod_labels(w) for w in workloads() if w is not workload]
    assert not any(selects(workload["spec"]["selector"], other) for other in others)
    (service,) = services_selecting(labels)
    assert not any(selects({"matchLabels": service["spec"]["selector"]}, o) for o in others)
    budgets = [b for b in objects("PodDisruptionBudget") if selects(b["spec"]["selector"], labels)]
    assert len(budgets) == 1, "one PodDisruptionBudget per workload"
    assert not any(selects(budgets[0]["spec"]["selector"], other) for other in others)


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_disruption_budget_lets_a_drain_through_one_pod_at_a_time(workload: dict[str, Any]) -> None:
    (budget,) = [
        b
        for b in objects("PodDisruptionBudget")
        if selects(b["spec"]["selector"], pod_labels(workload))
    ]
    assert budget["spec"]["maxUnavailable"] == 1
    assert workload["spec"]["replicas"] >= 2, "one replica and a PDB block every drain"


def test_worker_statefulset_is_governed_by_its_headless_service() -> None:
    worker = named("StatefulSet", "wirewatch-worker")
    service = named("Service", worker["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    assert selects({"matchLabels": service["spec"]["selector"]}, pod_labels(worker))


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_metrics_service_exposes_the_container_metrics_port_for_unready_pods(
    workload: dict[str, Any],
) -> None:
    container = only_container(workload)
    (service,) = services_selecting(pod_labels(workload))
    (port,) = service["spec"]["ports"]
    assert port["name"] == "metrics"
    assert container_port(container, port["targetPort"]) == port["port"]
    # /readyz failing must not hide a pod's metrics from Prometheus.
    assert service["spec"]["publishNotReadyAddresses"] is True


def test_service_monitor_scrapes_the_worker_and_poller_services_as_their_prometheus_jobs() -> None:
    (monitor,) = objects("ServiceMonitor")
    spec = monitor["spec"]
    selected = [s for s in objects("Service") if selects(spec["selector"], s["metadata"]["labels"])]
    names = {s["metadata"]["name"] for s in selected}
    assert names == {f"{w['metadata']['name']}" for w in workloads()}
    # No jobLabel: the job is the Service name, which the rules and dashboard select.
    assert "jobLabel" not in spec
    assert names == prometheus_job_names()
    for service in selected:
        assert service["metadata"]["namespace"] in spec["namespaceSelector"]["matchNames"]
    for endpoint in spec["endpoints"]:
        assert endpoint["path"] == METRICS_PATH
        for service in selected:
            assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_scrape_annotations_point_at_the_metrics_port(workload: dict[str, Any]) -> None:
    annotations = workload["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == METRICS_PATH
    assert int(annotations["prometheus.io/port"]) == container_port(
        only_container(workload), "metrics"
    )


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_every_volume_refers_to_an_object_defined_here(workload: dict[str, Any]) -> None:
    pod = workload["spec"]["template"]["spec"]
    mounts = {mount["name"] for mount in only_container(workload)["volumeMounts"]}
    assert mounts == {volume["name"] for volume in pod["volumes"]}
    for volume in pod["volumes"]:
        if "configMap" in volume:
            named("ConfigMap", volume["configMap"]["name"])
        if "secret" in volume:
            named("Secret", volume["secret"]["secretName"])


# --- wirewatch's view of the pods --------------------------------------------------------------


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_container_environment_is_accepted_by_wirewatch_settings(
    workload: dict[str, Any], tmp_path: Path
) -> None:
    settings, environment = container_settings(workload, tmp_path)
    assert settings.metrics_host == "0.0.0.0", "probes and Prometheus reach the pod's IP"
    assert "WIREWATCH_CONFIG" in environment
    config = tomllib.loads(Path(environment["WIREWATCH_CONFIG"]).read_text(encoding="utf-8"))
    assert settings.broker == config["broker"]
    assert settings.replication_factor >= 3, "a production cluster keeps 3 copies"


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_secrets_reach_wirewatch_as_files(workload: dict[str, Any], tmp_path: Path) -> None:
    settings, environment = container_settings(workload, tmp_path)
    (secret,) = objects("Secret")
    values = secret_files(secret)
    # The values arrive through *_FILE settings, never as plain environment values.
    assert settings.security_protocol == "SASL_SSL"
    assert settings.sasl_password == values["sasl-password"].decode().rstrip("\n")
    assert settings.sasl_username == values["sasl-username"].decode().rstrip("\n")
    assert Path(settings.ssl_ca_file).read_bytes() == values["ca.crt"]
    for name, value in environment.items():
        assert value not in {v.decode() for v in values.values()}, f"{name} holds a secret"
    assert not any(
        "secretKeyRef" in v.get("valueFrom", {}) for v in only_container(workload)["env"]
    )


def test_worker_id_is_the_statefulset_pod_name(tmp_path: Path) -> None:
    worker = named("StatefulSet", "wirewatch-worker")
    settings, _ = container_settings(worker, tmp_path)
    assert command_of(worker) == "worker"
    assert settings.worker_id == "wirewatch-worker-0"
    # Static membership: every worker has a name of its own, and no more workers than
    # partitions (a worker beyond that is given nothing to do).
    assert worker["spec"]["replicas"] <= settings.partitions


def test_pollers_are_at_most_the_feed_partitions(tmp_path: Path) -> None:
    poller = named("Deployment", "wirewatch-poller")
    settings, environment = container_settings(poller, tmp_path)
    assert command_of(poller) == "poll"
    assert "WIREWATCH_WORKER_ID" not in environment
    assert poller["spec"]["replicas"] <= settings.partitions


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_probes_ask_the_endpoints_the_process_serves_on_its_metrics_port(
    workload: dict[str, Any], tmp_path: Path
) -> None:
    settings, _ = container_settings(workload, tmp_path)
    command = command_of(workload)
    container = only_container(workload)
    expected = {
        "startupProbe": LIVENESS_PATH,
        "livenessProbe": LIVENESS_PATH,
        "readinessProbe": READINESS_PATH,
    }
    source = SERVED_BY[command].read_text(encoding="utf-8")
    for probe_name, path in expected.items():
        probe = container[probe_name]["httpGet"]
        assert probe["path"] == path, probe_name
        assert f'"{path}"' in source, f"{SERVED_BY[command].name} serves no {path}"
        assert container_port(container, probe["port"]) == metrics_port_of(settings, command)
    # The start-up budget is longer than liveness's, so a slow start is not a restart loop.
    startup = container["startupProbe"]
    liveness = container["livenessProbe"]
    assert (
        startup["periodSeconds"] * startup["failureThreshold"]
        >= 2 * liveness["periodSeconds"] * liveness["failureThreshold"]
    )


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_writable_paths_are_volumes_under_a_read_only_root(
    workload: dict[str, Any], tmp_path: Path
) -> None:
    settings, _ = container_settings(workload, tmp_path)
    container = only_container(workload)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
    writable = {
        m["mountPath"]
        for m in container["volumeMounts"]
        if not m.get("readOnly") and "emptyDir" in volumes[m["name"]]
    }
    assert "/tmp" in writable
    assert PurePosixPath(settings.data_dir).is_absolute()
    assert any(PurePosixPath(settings.data_dir).is_relative_to(path) for path in writable)


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_pods_meet_the_restricted_pod_security_standard(workload: dict[str, Any]) -> None:
    (namespace,) = objects("Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = workload["spec"]["template"]["spec"]
    container = only_container(workload)
    context = container["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    assert "hostNetwork" not in pod and "hostPID" not in pod
    for volume in pod["volumes"]:
        (kind,) = set(volume) - {"name"}
        assert kind in RESTRICTED_VOLUME_TYPES, volume["name"]
    # The pod's uid is the image's own non-root user.
    user = image_user().split(":")
    assert str(pod["securityContext"]["runAsUser"]) == user[0] != "0"
    assert str(pod["securityContext"]["runAsGroup"]) == user[1]
    assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_resources_are_bounded(workload: dict[str, Any]) -> None:
    resources = only_container(workload)["resources"]
    for resource in ("cpu", "memory"):
        request = quantity(resources["requests"][resource])
        limit = quantity(resources["limits"][resource])
        assert 0 < request <= limit, resource
    if command_of(workload) == "worker":
        # Headroom above the measured peak: story tables grow with the stream's volume.
        assert quantity(resources["limits"]["memory"]) >= 1.25 * WORKER_PEAK_RSS_MEASURED
        assert quantity(resources["requests"]["memory"]) >= WORKER_PEAK_RSS_MEASURED


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_termination_grace_lets_the_process_finish(
    workload: dict[str, Any], tmp_path: Path
) -> None:
    settings, _ = container_settings(workload, tmp_path)
    grace = workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # The worker flushes and commits (3.4 s measured idle); the poller lets a fetch end.
    assert grace >= 30
    if command_of(workload) == "poll":
        assert grace > settings.http_timeout_seconds


@pytest.mark.parametrize("workload", workloads(), ids=workload_ids())
def test_image_is_this_release(workload: dict[str, Any]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    (image,) = kustomization["images"]
    assert only_container(workload)["image"] == f"{image['name']}:{project['version']}"
    assert image["newTag"] == project["version"]
