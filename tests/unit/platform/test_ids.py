from collections import Counter

from oncall.platform import ids


def test_public_ids_have_oncall_shape_and_use_the_whole_alphabet_evenly():
    made = [ids.public_id(ids.PREFIX_ALERT) for _ in range(3000)]
    assert all(len(i) == 13 and i[0] == "A" for i in made) and len(set(made)) == len(made)
    counts = Counter("".join(i[1:] for i in made))
    assert set(counts) == set("ABCDEFGHIJKLMNPQRSTUVWXYZ123456789")  # no O, no 0
    expected = 3000 * 12 / 34
    assert all(abs(n - expected) < expected * 0.2 for n in counts.values())
    assert len(ids.public_id("EV", 16)) == 18
