"""The git deploy target's repository from an Airflow `git` connection: fields, credentials kept
out of URLs that are shown, and clear refusals of a connection that cannot name a repository."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_ai_etl.deploy import DeployError
from airflow_ai_etl.deploy.git import GitRemote


def test_fields_come_from_the_connection(airflow_conn: Callable[..., None]) -> None:
    airflow_conn(
        "dags_repo", conn_type="git", host="https://git.example.com/data/dags.git", login="bot",
        password="p@ss/word", extra={"branch": "deploys", "subdir": "airflow/dags"},
    )  # fmt: skip
    remote = GitRemote.from_connection("dags_repo")
    assert (remote.url, remote.branch, remote.subdir) == (
        "https://git.example.com/data/dags.git", "deploys", "airflow/dags",
    )  # fmt: skip
    assert remote.authenticated_url() == "https://bot:p%40ss%2Fword@git.example.com/data/dags.git"
    assert "p@ss/word" not in repr(remote)
    noisy = f"fatal: unable to access '{remote.authenticated_url()}/': p@ss/word p%40ss%2Fword"
    assert remote.redact(noisy) == "fatal: unable to access 'https://git.example.com/data/dags.git/': *** ***"


def test_defaults_and_a_path_remote(airflow_conn: Callable[..., None]) -> None:
    airflow_conn("local_repo", conn_type="git", host="/srv/git/dags.git")
    remote = GitRemote.from_connection("local_repo")
    assert (remote.branch, remote.subdir, remote.authenticated_url()) == ("main", "", "/srv/git/dags.git")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"conn_type": "git"}, "connection 'bad_repo' has no host: set it to the git repository's URL"),
        (
            {"conn_type": "git", "host": "/srv/x.git", "extra": {"subdir": "../outside"}},
            "extra subdir '../outside' must be a relative path in the repository",
        ),
    ],
)
def test_a_connection_that_names_no_repository_is_refused(
    airflow_conn: Callable[..., None], fields: dict[str, object], message: str
) -> None:
    airflow_conn("bad_repo", **fields)
    with pytest.raises(DeployError, match=message.replace("(", r"\(").replace(")", r"\)")):
        GitRemote.from_connection("bad_repo")


def test_a_missing_connection_says_how_to_add_it() -> None:
    with pytest.raises(DeployError, match=r"add a `git` connection 'nowhere_repo' \(host = repository URL"):
        GitRemote.from_connection("nowhere_repo")
