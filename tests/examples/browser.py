"""Steps a person takes in the examples' pages, for the browser tests (Selenium).

Selenium is imported when a step runs, not when this module is imported, so the test files
are collected without it and ``browser_pool`` can say it is missing (a skip on a laptop, a
failure under CI).
"""

from __future__ import annotations

from typing import Any

#: Seconds a page may take to show what the test waits for.
TIMEOUT = 10.0


def wait(driver: Any, condition: Any, what: str, timeout: float = TIMEOUT) -> Any:
    """Wait for ``condition(driver)`` to be true, failing with ``what`` after ``timeout``."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        condition, f"timed out after {timeout} s waiting for {what}"
    )


def by_id(driver: Any, element_id: str) -> Any:
    """The element of ``driver``'s page with this id."""
    return driver.find_element("id", element_id)


def by_css(driver: Any, selector: str) -> list[Any]:
    """The elements of ``driver``'s page (or of an element) matching a CSS selector."""
    return driver.find_elements("css selector", selector)


def status_of(driver: Any) -> str:
    return by_id(driver, "status").text


def wait_connected(driver: Any, word: str) -> None:
    """Wait until the page's socket is open (its ``#status`` reads ``word``)."""
    wait(driver, lambda d: status_of(d) == word, f"the page's socket to open ({word!r})")


def chat_messages(driver: Any) -> list[tuple[str, str]]:
    """The chat log's messages as ``(sender, text)``, oldest first."""
    return [
        tuple(pair)
        for pair in driver.execute_script(
            "return [...document.querySelectorAll('#log li.message')].map("
            "li => [li.querySelector('.user').textContent, li.querySelector('.text').textContent])"
        )
    ]


def enter_chat(driver: Any, base_url: str, name: str, room: str) -> None:
    """Open a room's page; being sent to the name form first, pick ``name``; wait until the
    room's socket is connected."""
    driver.get(f"{base_url}room/{room}/")
    name_box = wait(driver, lambda d: by_css(d, "#id_name"), "the name form")[0]
    name_box.send_keys(name)
    by_css(driver, "#name-form button")[0].click()
    wait(driver, lambda d: by_css(d, "#room"), f"the page of room {room!r}")
    assert by_id(driver, "room").text == room
    assert by_id(driver, "me").text == name
    wait_connected(driver, "connected")


def say(driver: Any, text: str) -> None:
    """Type ``text`` in the message box and send it."""
    by_id(driver, "message").send_keys(text)
    by_css(driver, "#message-form button")[0].click()


def wait_for_message(driver: Any, sender: str, text: str) -> None:
    wait(
        driver,
        lambda d: (sender, text) in chat_messages(d),
        f"{sender!r} saying {text!r} in the log",
    )


def two_rooms_conversation(site: Any, pages: Any) -> None:
    """Alice and Bob talk in the lobby, Carol in the kitchen: each hears only their room."""
    alice = pages.open("alice", "about:blank")
    bob = pages.open("bob", "about:blank")
    carol = pages.open("carol", "about:blank")
    enter_chat(alice, site.url, "alice", "lobby")
    enter_chat(bob, site.url, "bob", "lobby")
    enter_chat(carol, site.url, "carol", "kitchen")

    # Carol talks first: if her room leaked into the lobby, her message would reach Alice's
    # and Bob's sockets before anything said later in the lobby (FIFO per channel).
    say(carol, "anyone in the kitchen?")
    wait_for_message(carol, "carol", "anyone in the kitchen?")

    say(alice, "hi bob")
    wait_for_message(bob, "alice", "hi bob")
    say(bob, "hello alice")
    wait_for_message(alice, "bob", "hello alice")
    wait_for_message(bob, "bob", "hello alice")
    wait_for_message(alice, "alice", "hi bob")

    # Likewise, anything of the lobby's sent to Carol would arrive before her second message.
    say(carol, "still quiet")
    wait_for_message(carol, "carol", "still quiet")

    conversation = [("alice", "hi bob"), ("bob", "hello alice")]
    assert chat_messages(alice) == conversation
    assert chat_messages(bob) == conversation
    assert chat_messages(carol) == [("carol", "anyone in the kitchen?"), ("carol", "still quiet")]
