"""The studio UI driven as its users and their scripts see it: gradio_client on the named endpoints, plain HTTP.

One app with login (users file) and one without run per test module; tests share them, so each test makes its
own project name and only looks at what it made.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError

from previs.access.permissions import Action, Actor
from previs.access.users import UserDirectory, add_user, remove_user
from previs.app.studio import Studio
from previs.errors import InvalidRequest
from previs.generation.generator import Generator
from previs.generation.limits import TINY_MODEL
from previs.settings import FastPaths
from previs.ui import TABS, TabSpec, UiContext, build_ui, serve, server_address
from previs.ui.context import BATCHED_GENERATION_SLOTS
from tests.ui_support import PASSWORD, free_port, module_studio, project


def probe_tab(ui: UiContext) -> None:
    """A test-only tab, registered like any other: one handler needs a role, one fails unexpectedly."""

    def manage_consent(actor: Actor) -> str:
        actor.require(Action.MANAGE_CONSENT)
        return f"{actor.name} may manage consent"

    def crash(actor: Actor) -> str:
        raise RuntimeError("secret internal detail")

    button = gr.Button("probe")
    result = gr.Textbox()
    button.click(ui.handler(manage_consent), None, result, api_name="probe_consent")
    button.click(ui.handler(crash), None, result, api_name="probe_crash")


@pytest.fixture(scope="module")
def app_url(ui_studio: Studio, users_file: Path) -> Iterator[str]:
    page = serve(ui_studio, users=UserDirectory(users_file), port=free_port(), block=False, quiet=True,
                 tabs=(*TABS, TabSpec("Probe", "probe", probe_tab)))
    yield page.local_url
    page.close()


@pytest.fixture(scope="module")
def alice(app_url: str) -> Client:
    return Client(app_url, auth=("alice", PASSWORD), verbose=False)


@pytest.fixture(scope="module")
def pat(app_url: str) -> Client:
    return Client(app_url, auth=("pat", PASSWORD), verbose=False)


def generate(client: Client, project_name: str, count: int = 2, seed: str = "11", prompt: str = "foggy pier"):
    return client.predict(prompt, "", project_name, seed, "2", "256x256", count, api_name="/generate_set")


# -- set concepts ---------------------------------------------------------------------------------------


def test_a_blank_seed_draws_one(alice: Client) -> None:
    _, details = generate(alice, project(), count=1, seed="")
    assert isinstance(details[0]["seed"], int)


def test_generate_stores_frames_made_by_the_logged_in_user(alice: Client, ui_studio: Studio) -> None:
    name = project()
    gallery, details = generate(alice, name)
    assert len(gallery) == 2 and all(Path(item["image"]).is_file() for item in gallery)
    assert [d["seed"] for d in details] == [11, 12] and details[0]["prompt"] == "foggy pier"
    assert gallery[0]["caption"] == f"frame {details[0]['frame']} · seed 11"
    stored = ui_studio.frames.list(project=name, actor=ui_studio.local_actor)
    assert sorted(f.id for f in stored) == sorted(d["frame"] for d in details)
    assert {f.created_by for f in stored} == {"alice"} and {f.kind for f in stored} == {"set"}


def test_vary_makes_new_seeds_over_the_chosen_frame(alice: Client, ui_studio: Studio) -> None:
    _, details = generate(alice, project(), count=1)
    parent = details[0]["frame"]
    gallery, variations = alice.predict(str(parent), 0.5, 3, api_name="/vary_frame")
    assert len(gallery) == 3 and {v["parent_frame"] for v in variations} == {parent}
    assert len({v["seed"] for v in variations}) == 3 and all("variation of" in g["caption"] for g in gallery)
    varied = ui_studio.frames.get(variations[0]["frame"], actor=ui_studio.local_actor)
    assert varied.record.to_json()["parent_frame_id"] == parent


def test_a_set_concept_from_a_stored_scene_in_a_style(alice: Client, ui_studio: Studio) -> None:
    name = project()
    script = (Path(__file__).parent / "data" / "scripts" / "glass_heist.fountain").read_bytes()
    ui_studio.scenes.import_script(script, project=name, actor=ui_studio.local_actor)
    _, details = alice.predict("", "", name, "4", "2", "256x256", 1, "2", "matte_painting", api_name="/generate_set")
    record = ui_studio.frames.get(details[0]["frame"], actor=ui_studio.local_actor).record.to_json()
    assert record["scene"]["heading"] == "INT. WAREHOUSE OFFICE - NIGHT"
    assert record["prompt_template"]["style"] == "matte_painting" and "matte painting" in details[0]["prompt"]
    with pytest.raises(AppError, match="not both"):
        alice.predict("a cellar", "", name, "4", "2", "256x256", 1, "2", "", api_name="/generate_set")


def test_vary_without_a_chosen_frame_says_what_to_do(alice: Client) -> None:
    with pytest.raises(AppError, match="no frame chosen: click a frame in the gallery"):
        alice.predict("", 0.5, 1, api_name="/vary_frame")


def test_status_names_the_user_and_says_frames_are_placeholders(alice: Client, pat: Client) -> None:
    status = alice.predict(api_name="/status")
    assert "Signed in as **alice** (art director)" in status
    assert "previs-tiny" in status and "placeholders" in status
    assert "Signed in as **pat** (producer)" in pat.predict(api_name="/status")


def test_endpoints_are_named(alice: Client) -> None:
    assert {"/generate_set", "/vary_frame", "/status"} <= set(alice.view_api(print_info=False,
                                                                             return_format="dict")["named_endpoints"])


# -- errors and refusals ----------------------------------------------------------------------------------


def test_previs_errors_are_messages_not_tracebacks(alice: Client, ui_studio: Studio) -> None:
    name = project()
    with pytest.raises(AppError, match="prompt is empty") as caught:
        generate(alice, name, prompt="   ")
    assert "Traceback" not in str(caught.value)
    # Gradio shows messages as HTML, and this one quotes what the user typed: it arrives escaped
    with pytest.raises(AppError, match="project name '&lt;b&gt;x&lt;/b&gt;' is not allowed"):
        generate(alice, "<b>x</b>")
    with pytest.raises(AppError, match="seed 'seven' is not a whole number: type one"):
        generate(alice, name, seed="seven")
    assert all(f.project != name for f in ui_studio.frames.list(actor=ui_studio.local_actor))


def test_a_role_without_the_right_is_refused_with_the_reason(alice: Client, pat: Client) -> None:
    with pytest.raises(AppError, match=r"alice \(art_director\) may not manage consent: that needs admin, producer"):
        alice.predict(api_name="/probe_consent")
    assert pat.predict(api_name="/probe_consent") == "pat may manage consent"


def test_unexpected_errors_are_logged_and_shown_as_a_short_message(alice: Client,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="previs.ui"), pytest.raises(AppError) as caught:
        alice.predict(api_name="/probe_crash")
    message = str(caught.value)
    assert "Something went wrong on the server (reference" in message and "secret" not in message
    logged = [r for r in caplog.records if r.name == "previs.ui" and r.exc_info]
    assert logged and "secret internal detail" in str(logged[-1].exc_info[1])
    assert message.split("reference ")[1][:8] in logged[-1].getMessage()


def test_several_users_generate_at_once(alice: Client, pat: Client, ui_studio: Studio) -> None:
    names = {"alice": project(), "pat": project()}
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(generate, client, names[who], 1) for who, client in (("alice", alice), ("pat", pat))]
        results = [job.result(timeout=120) for job in jobs]
    assert all(len(gallery) == 1 for gallery, _ in results)
    for who, name in names.items():
        assert [f.created_by for f in ui_studio.frames.list(project=name, actor=ui_studio.local_actor)] == [who]


# -- login ------------------------------------------------------------------------------------------------


def test_the_api_refuses_clients_that_are_not_logged_in(app_url: str) -> None:
    with pytest.raises(AuthenticationError):
        Client(app_url, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(app_url, auth=("alice", "wrong password"), verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(app_url, auth=("mallory", PASSWORD), verbose=False)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "config"), ("GET", "gradio_api/info"), ("GET", "gradio_api/openapi.json"),
    ("POST", "gradio_api/queue/join"), ("GET", "gradio_api/queue/data?session_hash=x"),
    ("POST", "gradio_api/call/generate_set"), ("POST", "gradio_api/run/generate_set"),
    ("GET", "gradio_api/file=/etc/hostname"), ("POST", "gradio_api/upload"),
    ("GET", "gradio_api/heartbeat/x"), ("POST", "gradio_api/cancel"), ("POST", "gradio_api/stream/x"),
    ("GET", "gradio_api/deep_link?session_hash=x"), ("GET", "monitoring"), ("GET", "assets/index.js"),
    ("GET", "theme.css"), ("GET", "manifest.json"), ("GET", "some/path/nobody/registered"),
])
def test_no_endpoint_answers_without_login(app_url: str, method: str, path: str) -> None:
    response = httpx.request(method, app_url + path, json={"data": []})
    assert response.status_code == 401 and response.json() == {"detail": "Not authenticated: sign in first"}


def test_the_page_without_login_is_only_the_sign_in_form(app_url: str) -> None:
    page = httpx.get(app_url)
    assert page.status_code == 200 and 'id="sign-in"' in page.text
    assert "Scene description" not in page.text and "generate_set" not in page.text


def test_signing_in_over_http_opens_the_page_and_the_api(app_url: str) -> None:
    with httpx.Client(base_url=app_url) as browser:
        assert browser.post("login", data={"username": "pat", "password": "nope nope"}).status_code == 400
        assert browser.post("login", data={"username": "pat", "password": PASSWORD}).status_code == 200
        assert "Scene description" in browser.get("").text
        assert "generate_set" in browser.get("gradio_api/info").text


def test_a_removed_user_is_refused_at_the_next_request(app_url: str, users_file: Path) -> None:
    add_user(users_file, "temp", PASSWORD, "producer")
    temp = Client(app_url, auth=("temp", PASSWORD), verbose=False)
    assert "temp" in temp.predict(api_name="/status")
    remove_user(users_file, "temp")
    with pytest.raises(httpx.HTTPStatusError, match="401 Unauthorized"):  # the session ended with the user
        temp.predict(api_name="/status")


# -- without a users file ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_studio(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
                tiny_generator: Generator) -> Iterator[Studio]:
    """A studio whose data directory has no users file (the module's other studio has one: login is on)."""
    yield from module_studio(tmp_path_factory, models_dir, tiny_generator, "bare-home")


@pytest.fixture(scope="module")
def local_client(bare_studio: Studio) -> Iterator[Client]:
    page = serve(bare_studio, users=None, port=free_port(), block=False, quiet=True)
    yield Client(page.local_url, verbose=False)
    page.close()


def test_without_users_one_local_admin_works_without_login(local_client: Client, bare_studio: Studio) -> None:
    status = local_client.predict(api_name="/status")
    assert "No login" in status and "localuser (admin)" in status and "users.toml" in status
    name = project()
    generate(local_client, name, count=1)
    assert [f.created_by for f in bare_studio.frames.list(project=name, actor=bare_studio.local_actor)] == [
        "localuser"]


def test_without_users_the_log_says_login_is_off(bare_studio: Studio, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="previs.ui"):
        serve(bare_studio, users=None, port=free_port(), block=False, quiet=True).close()
    assert any("No login" in r.getMessage() and "localuser (admin)" in r.getMessage() for r in caplog.records)


def test_without_users_the_page_is_never_served_beyond_this_machine(ui_studio: Studio) -> None:
    with pytest.raises(InvalidRequest, match=r"refusing to serve on 0\.0\.0\.0 without login"):
        serve(ui_studio, users=None, host="0.0.0.0", port=free_port(), block=False, quiet=True)


def test_page_says_when_frames_are_placeholders_before_any_event(ui_studio: Studio) -> None:
    page = build_ui(ui_studio)
    texts = [block.value for block in page.blocks.values() if isinstance(block, gr.Markdown)]
    assert any("placeholders" in text for text in texts)


def test_model_events_run_one_at_a_time_unless_batching_can_merge_them(ui_studio: Studio, models_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def limits(page: gr.Blocks) -> dict[str, int]:
        return {fn.api_name: fn.concurrency_limit for fn in page.fns.values()
                if fn.api_name in ("generate_set", "vary_frame", "fit_costume", "build_storyboard")}

    assert set(limits(build_ui(ui_studio)).values()) == {1}
    monkeypatch.setattr(
        ui_studio.models,
        "_generator",
        Generator(TINY_MODEL, models_dir, device="cpu", fast_paths=FastPaths(batching=True)),
    )
    batched = limits(build_ui(ui_studio))
    assert len(batched) == 4 and set(batched.values()) == {BATCHED_GENERATION_SLOTS}


def test_server_address_comes_from_gradio_variables() -> None:
    assert server_address({}) == ("127.0.0.1", 7860)
    assert server_address({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "8080"}) == ("0.0.0.0", 8080)
    with pytest.raises(InvalidRequest, match="GRADIO_SERVER_PORT='http' is not a port number"):
        server_address({"GRADIO_SERVER_PORT": "http"})
