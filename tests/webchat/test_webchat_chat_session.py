"""ChatSession: the transitions the service publishes events for."""

from cxkit.gms import Identity
from cxkit.webchat.session import ChatSession


def test_offline_after_more_refusals_than_the_limit_and_back_online_once():
    session = ChatSession()
    session.begin(Identity("c", "a", "k", "u"))
    assert [session.poll_refused(2) for _ in range(3)] == [False, False, True]
    assert session.offline and session.poll_exceptions == 0
    assert [session.poll_refused(2) for _ in range(3)] == [False, False, False]  # already offline
    assert session.poll_answered() and not session.offline and session.take_reconnected()
    assert not session.poll_answered() and not session.take_reconnected()


def test_disconnected_only_during_a_chat_and_reconnected_once():
    session = ChatSession()
    assert not session.lost_connection()  # no chat: an `error`, not `disconnected`
    session.begin(Identity("c", "a", "k", "u"))
    assert session.lost_connection() and not session.lost_connection()
    assert session.regained_connection() and not session.regained_connection()
    assert session.take_reconnected() and not session.take_reconnected()


def test_close_forgets_the_chat_and_moves_the_epoch():
    session = ChatSession()
    session.begin(Identity("c", "a", "k", "u"))
    session.lost_connection()
    session.poll_refused(5)
    session.close()
    assert (session.active, session.epoch, session.identity, session.disconnected,
            session.poll_exceptions, session.kept) == (False, 1, Identity(), False, 0, False)
    session.restoring = True
    assert session.kept
