import pytest

from oncall.masking import mask_url, scrub


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts", "slack://****"),
        ("tgram://123456789:AAE-secret/12345", "tgram://****"),
        ("json://user:pw@hooks.example.com:8080/path?token=abc", "json://****@hooks.example.com:8080/****?****"),
        ("https://hooks.example.com/services/T/B/secret", "https://hooks.example.com/****"),
        ("https://hooks.example.com", "https://hooks.example.com"),
        ("ses://oncall-team@example.com", "ses://o***@example.com"),
        ("mailto://user:password@gmail.com", "mailto://u***@gmail.com"),
        ("sns-sms://+15551234567", "sns-sms://+1******67"),
        ("sns-sms://nonsense", "sns-sms://****"),
        ("outbox://demo", "outbox://demo"),
        ("no scheme at all", "****"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_scrub_removes_every_secret_fragment_of_a_url():
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    text = "POST https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ failed"
    assert scrub(text, url) == "POST https://hooks.slack.com/services/****/****/**** failed"
