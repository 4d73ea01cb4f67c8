"""WebSocket close codes by name (channels.closecodes)."""

from __future__ import annotations

import pytest

from channels import closecodes
from channels.exceptions import WebsocketCloseException
from channels.generic.websockets import close_frame


@pytest.mark.parametrize("code", [1000, 3000, 4011, 4999])
def test_application_codes_are_1000_and_3000_to_4999(code: int) -> None:
    assert closecodes.is_application_code(code)
    assert closecodes.daphne_safe(code) == code


@pytest.mark.parametrize("code", [999, 1001, 1011, 2999, 5000, True, "1000", None])
def test_other_values_are_not_application_codes(code: object) -> None:
    assert not closecodes.is_application_code(code)


def test_protocol_codes_move_into_the_4000_range_for_daphne() -> None:
    assert closecodes.daphne_safe(closecodes.INTERNAL_ERROR) == 4011
    assert closecodes.daphne_safe(closecodes.TRY_AGAIN_LATER) == 4013
    assert closecodes.daphne_safe(closecodes.MESSAGE_TOO_BIG) == 4009


def test_every_check_of_a_chosen_code_uses_the_one_rule() -> None:
    with pytest.raises(ValueError, match="1000, or 3000-4999"):
        WebsocketCloseException(1011)
    with pytest.raises(ValueError, match="1000, or 3000-4999"):
        close_frame(1011)
    assert close_frame(4000) == {"close": 4000}
