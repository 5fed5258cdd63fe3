"""The local runtime's pure parts: template intrinsics and schedules (route matching and events:
test_front_door.py)."""

from oncall_local.template import Resolver, load_template
from oncall_local.topology import Schedule


def test_template_intrinsics_resolve():
    template = load_template()
    resolver = Resolver(
        template,
        pseudo={"AWS::StackName": "s", "AWS::Region": "r", "AWS::URLSuffix": "u"},
        parameters={"PublicBaseUrl": ""},
    )
    resolver.physical["HttpApi"] = "api"
    assert resolver.resolve({"Fn::Sub": "${AWS::StackName}-ingest.fifo"}) == "s-ingest.fifo"
    url = template["Resources"]["RouteFunction"]["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
    assert resolver.resolve(url) == "https://api.execute-api.r.u"
    resolver.parameters["PublicBaseUrl"] = "https://oncall.example"
    assert resolver.resolve(url) == "https://oncall.example"


def test_schedule_period():
    assert Schedule("rate(1 minute)", "F").period_seconds == 60
    assert Schedule("rate(2 hours)", "F").period_seconds == 7200


def test_functions_sharing_the_process_flush_metrics_without_racing(capsys):
    import sys
    import threading

    from aws_lambda_powertools import Metrics

    import oncall_local.functions  # noqa: F401 - serializes Powertools' shared metrics buffer

    # given two "functions" in two threads, adding and flushing metrics through the one shared buffer
    errors: list[BaseException] = []

    def function(name: str) -> None:
        metrics = Metrics(namespace="RaceTest")
        try:
            for _ in range(1500):
                metrics.add_metric(name=name, unit="Count", value=1)
                metrics.flush_metrics()
        except Exception as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: make the race likely
    try:
        threads = [threading.Thread(target=function, args=(n,)) for n in ("A", "B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    capsys.readouterr()
    # then no flush found the buffer emptied under it ("Must contain at least one metric")
    assert errors == []


def test_outbox_lines_leave_out_a_notification_still_being_written(tmp_path):
    from oncall_local.process import LocalStackProcess

    # given an outbox whose last notification is half written
    stack = LocalStackProcess(process=None, base_url="", port=0, state_dir=tmp_path, admin_token="")
    assert stack.outbox_lines() == []
    stack.outbox.write_text('{"title": "one"}\n{"title": "tw')
    # then only the whole lines are read
    assert stack.outbox_lines() == ['{"title": "one"}']
    stack.outbox.write_text('{"title": "one"}\n{"title": "two"}\n')
    assert stack.outbox_lines() == ['{"title": "one"}', '{"title": "two"}']
