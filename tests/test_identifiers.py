"""Specification of the identifier rules in `graph.identifiers` (no database needed)."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import pytest

from graph.identifiers import (
    CATEGORY_FILE,
    CATEGORY_LABELS,
    RESIDENT_ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_WEIGHTS,
    WUGANG_REGION,
    IdProblem,
    UsccProblem,
    is_valid_resident_id,
    is_valid_uscc,
    load_category_table,
    make_resident_id,
    make_uscc,
    mask_id_number,
    mask_name,
    mask_phone,
    org_code_check_char,
    person_key,
    read_category_file,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_gender,
    uscc_category,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)
from graph.lifecycle.base import china_today

VALID_USCCS = [
    "91310110666007217T",
    "91430111MA4L41YT1U",
    "91350200MA31E12PXF",
    "11320100MB1886843H",
]

VALID_ID = "11010519491231002X"
FIXED_TODAY = datetime.date(2025, 6, 1)


def fields(problems: list[UsccProblem] | list[IdProblem]) -> list[str]:
    return [p.field for p in problems]


def with_check_chars(first16: str) -> str:
    """Complete 16 characters into a code whose two check characters are both right."""
    first17 = first16 + org_code_check_char(first16[8:16])
    return first17 + uscc_check_char(first17)


def with_id_check_char(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


# --- USCC: the alphabet and weights --------------------------------------------------------


def test_alphabet_is_31_characters_without_i_o_s_v_z() -> None:
    assert len(USCC_ALPHABET) == 31
    assert len(set(USCC_ALPHABET)) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


def test_uscc_weights_are_powers_of_3_mod_31() -> None:
    assert [pow(3, i, 31) for i in range(17)] == list(USCC_WEIGHTS)


def test_resident_id_weights_are_powers_of_2_mod_11() -> None:
    assert [pow(2, 17 - i, 11) for i in range(17)] == list(RESIDENT_ID_WEIGHTS)


def test_category_table_has_the_common_categories() -> None:
    for key, label in {
        "11": "机关",
        "12": "事业单位",
        "51": "社会团体",
        "52": "民办非企业单位",
        "53": "基金会",
        "54": "村民委员会",
        "55": "居民委员会",
        "91": "企业",
        "92": "个体工商户",
        "93": "农民专业合作社",
        "N2": "村级集体经济组织",
        "Y1": "其他",
    }.items():
        assert CATEGORY_LABELS[key] == label
    assert all(len(k) == 2 and set(k) <= set(USCC_ALPHABET) for k in CATEGORY_LABELS)


def test_category_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        CATEGORY_LABELS["B1"] = "工会"  # type: ignore[index]


@pytest.mark.parametrize("category", ["G1", "J1", "N1", "N2", "N3", "Y1"])
def test_newer_categories_are_accepted(category: str) -> None:
    # Issued after the 2015 standard and met in real registers: not quarantined as unknown.
    code = with_check_chars(f"{category}410481MA4L41YT")
    assert validate_uscc(code) == []
    assert uscc_category(code) == CATEGORY_LABELS[category]


def test_category_table_is_the_packaged_data_file() -> None:
    # Extending the table is a line in uscc_categories.toml, not a code change.
    assert CATEGORY_FILE.name == "uscc_categories.toml"
    assert dict(CATEGORY_LABELS) == read_category_file()


def test_a_category_file_with_a_bad_key_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "categories.toml"
    bad.write_text('[categories]\n"91" = "企业"\n"S1" = "bad letter"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="S1"):
        read_category_file(bad)
    bad.write_text("[other]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="categories"):
        read_category_file(bad)


# --- USCC: valid and invalid codes ---------------------------------------------------------


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_uscc_has_no_problems(code: str) -> None:
    assert validate_uscc(code) == []
    assert is_valid_uscc(code)


def test_wrong_check_character_is_reported_with_the_expected_one() -> None:
    problems = validate_uscc("91350203M0001QAY9B")
    assert fields(problems) == ["check_char"]
    assert "'9'" in problems[0].reason
    assert "'B'" in problems[0].reason
    assert "校验码错误" in problems[0].reason
    assert not is_valid_uscc("91350203M0001QAY9B")


@pytest.mark.parametrize("code", VALID_USCCS)
def test_every_single_character_substitution_is_detected(code: str) -> None:
    for index in range(18):
        for ch in USCC_ALPHABET:
            if ch == code[index]:
                continue
            corrupted = code[:index] + ch + code[index + 1 :]
            problems = validate_uscc(corrupted)
            assert problems, f"substitution at position {index + 1} went unnoticed: {corrupted}"
            # MOD 31 with weights coprime to 31 catches every substitution the pattern lets by.
            if "pattern" not in fields(problems):
                assert "check_char" in fields(problems)
            # Position 17 holds only 0-9 or X, so its own check catches any change there.
            if index == 16:
                assert "org_code_check" in fields(problems)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_letters_outside_the_alphabet_fail_the_pattern(letter: str) -> None:
    code = "91430111MA4L41YT1U"
    corrupted = code[:10] + letter + code[11:]
    problems = validate_uscc(corrupted)
    assert fields(problems) == ["pattern"]
    assert "position 11" in problems[0].reason


def test_lowercase_is_rejected_not_folded() -> None:
    problems = validate_uscc("91430111ma4l41yt1u")
    assert fields(problems) == ["pattern"]


def test_letter_in_region_fails_the_pattern() -> None:
    assert fields(validate_uscc("9143A111MA4L41YT1U")) == ["pattern"]


@pytest.mark.parametrize("code", ["", "9143011", "91430111MA4L41YT1", "91430111MA4L41YT1UU"])
def test_wrong_length_stops_validation(code: str) -> None:
    problems = validate_uscc(code)
    assert fields(problems) == ["length"]
    assert f"found {len(code)}" in problems[0].reason


@pytest.mark.parametrize("category", ["00", "B1", "G9", "J2"])
def test_unknown_category_is_reported_alone(category: str) -> None:
    code = with_check_chars(f"{category}410481MA4L41YT")
    assert fields(validate_uscc(code)) == ["category"]
    assert uscc_category(code) is None


def test_category_table_can_be_extended() -> None:
    code = with_check_chars("B1410481MA4L41YT")
    assert fields(validate_uscc(code)) == ["category"]
    table = load_category_table({"B1": "工会(新增)"})
    assert validate_uscc(code, categories=table) == []
    assert uscc_category(code, categories=table) == "工会(新增)"
    assert "B1" not in CATEGORY_LABELS


def test_category_table_extension_rejects_bad_keys() -> None:
    with pytest.raises(ValueError):
        load_category_table({"9": "too short"})
    with pytest.raises(ValueError):
        load_category_table({"S1": "letter outside the alphabet"})


def test_region_prefix_rejects_codes_registered_elsewhere() -> None:
    code = "91430111MA4L41YT1U"  # 长沙
    problems = validate_uscc(code, region_prefix="4104")
    assert fields(problems) == ["region"]
    assert validate_uscc(code, region_prefix="43") == []


def test_region_prefix_accepts_wugang_codes() -> None:
    code = make_uscc("91", WUGANG_REGION, "MA4L41YT")
    assert validate_uscc(code, region_prefix="4104") == []
    assert validate_uscc(code, region_prefix=WUGANG_REGION) == []
    assert fields(validate_uscc(code, region_prefix="410402")) == ["region"]


@pytest.mark.parametrize("prefix", ["", "41a4", "4104810"])
def test_malformed_region_prefix_is_a_caller_error(prefix: str) -> None:
    with pytest.raises(ValueError):
        validate_uscc(VALID_USCCS[0], region_prefix=prefix)


def test_wrong_org_code_check_is_reported_even_with_a_matching_outer_check() -> None:
    # Position 17 should be 1; build a code whose outer check is consistent with a wrong 17th.
    first17 = "91430111MA4L41YT2"
    code = first17 + uscc_check_char(first17)
    problems = validate_uscc(code)
    assert fields(problems) == ["org_code_check"]
    assert "'1'" in problems[0].reason


def test_independent_problems_are_all_reported_in_order() -> None:
    code = "00430111MA4L41YT2A"
    assert fields(validate_uscc(code, region_prefix="4104")) == [
        "category",
        "region",
        "org_code_check",
        "check_char",
    ]


def test_uscc_category_labels() -> None:
    assert uscc_category("91430111MA4L41YT1U") == "企业"
    assert uscc_category("11320100MB1886843H") == "机关"
    assert uscc_category("9") is None


# --- USCC: check-character functions and construction --------------------------------------


def test_org_code_check_char_examples() -> None:
    assert org_code_check_char("66600721") == "7"
    assert org_code_check_char("MA4L41YT") == "1"
    assert org_code_check_char("M0001QAY") == "9"


def test_check_char_functions_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("9143011")
    with pytest.raises(ValueError):
        uscc_check_char("91430111MA4L41YI1")
    with pytest.raises(ValueError):
        org_code_check_char("MA4L41Y")
    with pytest.raises(ValueError):
        org_code_check_char("ma4l41yt")


def test_make_uscc_builds_a_valid_wugang_code() -> None:
    code = make_uscc("91", "410481", "MA4L41YT")
    assert code.startswith("91410481MA4L41YT")
    assert is_valid_uscc(code)
    assert validate_uscc(code, region_prefix=WUGANG_REGION) == []


def test_make_uscc_reproduces_real_codes() -> None:
    for code in VALID_USCCS:
        assert make_uscc(code[:2], code[2:8], code[8:16]) == code


def test_make_uscc_round_trips_random_bodies() -> None:
    rng = random.Random(7)
    categories = sorted(CATEGORY_LABELS)
    org_checks_seen: set[str] = set()
    for _ in range(500):
        category = rng.choice(categories)
        region = f"{rng.randrange(110000, 660000):06d}"
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
        code = make_uscc(category, region, body)
        assert len(code) == 18
        assert code[:16] == category + region + body
        assert validate_uscc(code) == []
        assert uscc_category(code) == CATEGORY_LABELS[category]
        org_checks_seen.add(code[16])
    # Both special cases of the MOD 11 check (10 -> X, 11 -> 0) come up.
    assert org_checks_seen == set("0123456789X")


@pytest.mark.parametrize(
    ("category", "region", "body"),
    [
        ("91", "410481", "MA4L41YI"),  # I is not a USCC character
        ("91", "410481", "ma4l41yt"),
        ("91", "410481", "MA4L41Y"),
        ("91", "41048", "MA4L41YT"),
        ("91", "41048A", "MA4L41YT"),
        ("00", "410481", "MA4L41YT"),
    ],
)
def test_make_uscc_rejects_bad_parts(category: str, region: str, body: str) -> None:
    with pytest.raises(ValueError):
        make_uscc(category, region, body)


def test_make_uscc_accepts_an_extended_category() -> None:
    table = load_category_table({"B1": "工会(新增)"})
    code = make_uscc("B1", WUGANG_REGION, "MA4L41YT", categories=table)
    assert validate_uscc(code, categories=table) == []


# --- Resident ID numbers ------------------------------------------------------------------


def test_valid_resident_id() -> None:
    assert validate_resident_id(VALID_ID) == []
    assert is_valid_resident_id(VALID_ID)
    assert resident_id_check_char(VALID_ID[:17]) == "X"


def test_lowercase_x_is_accepted() -> None:
    assert validate_resident_id(VALID_ID.lower()) == []
    assert resident_id_birth_date(VALID_ID.lower()) == datetime.date(1949, 12, 31)


def test_wrong_check_character() -> None:
    problems = validate_resident_id("110101199001011234")
    assert problems == [IdProblem("check_char", "校验码错误 (check character mismatch)")]
    assert not is_valid_resident_id("110101199001011234")


def test_impossible_birth_date_with_a_correct_check_character() -> None:
    code = with_id_check_char("11010519900230123")  # 30 February
    assert fields(validate_resident_id(code)) == ["birth"]
    assert "not a real date" in validate_resident_id(code)[0].reason


def test_future_birth_date() -> None:
    code = with_id_check_char("41048120250602123")
    assert fields(validate_resident_id(code, today=FIXED_TODAY)) == ["birth"]
    assert validate_resident_id(code, today=datetime.date(2025, 6, 2)) == []


def test_future_birth_date_against_the_real_clock() -> None:
    # Beijing's date (graph.lifecycle.base.china_today), which the check uses: from 16:00 UTC
    # the machine's date is a day behind it.
    next_year = china_today().year + 1
    code = with_id_check_char(f"410481{next_year}0101123")
    assert fields(validate_resident_id(code)) == ["birth"]


def test_birth_date_before_1900() -> None:
    code = with_id_check_char("41048118991231123")
    assert fields(validate_resident_id(code)) == ["birth"]


@pytest.mark.parametrize("id_number", ["", "41048119900101123", "4104811990010112345"])
def test_resident_id_wrong_length(id_number: str) -> None:
    assert fields(validate_resident_id(id_number)) == ["length"]


def test_fifteen_digit_legacy_number_is_rejected() -> None:
    assert fields(validate_resident_id("110105491231002")) == ["length"]


def test_non_digit_body_stops_validation() -> None:
    assert fields(validate_resident_id("1101051949123100AX")) == ["pattern"]
    # Full-width digits look right on screen but are not ASCII.
    assert fields(validate_resident_id("１10105194912310021")) == ["pattern"]


def test_bad_last_character_still_checks_the_birth_date() -> None:
    assert fields(validate_resident_id("11010519491231002A")) == ["pattern"]
    assert fields(validate_resident_id("11010519490230002A")) == ["pattern", "birth"]


def test_make_resident_id_round_trip() -> None:
    rng = random.Random(7)
    for _ in range(300):
        birth = datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randrange(45000))
        sequence = rng.randrange(1000)
        id_number = make_resident_id(WUGANG_REGION, birth, sequence)
        assert len(id_number) == 18
        assert id_number.startswith(WUGANG_REGION)
        assert validate_resident_id(id_number) == []
        assert resident_id_birth_date(id_number) == birth
        assert resident_id_gender(id_number) == ("M" if sequence % 2 else "F")


def test_gender_and_birth_date_extraction() -> None:
    assert resident_id_gender(VALID_ID) == "F"  # 17th digit 2
    assert resident_id_birth_date(VALID_ID) == datetime.date(1949, 12, 31)
    male = make_resident_id("410481", datetime.date(1990, 1, 1), 1)
    assert male[14:17] == "001"
    assert resident_id_gender(male) == "M"
    assert resident_id_gender(make_resident_id("410481", datetime.date(1990, 1, 1), 0)) == "F"


@pytest.mark.parametrize(
    ("region", "birth", "sequence"),
    [
        ("41048", datetime.date(1990, 1, 1), 1),
        ("41048A", datetime.date(1990, 1, 1), 1),
        ("410481", datetime.date(1899, 12, 31), 1),
        ("410481", china_today() + datetime.timedelta(days=1), 1),
        ("410481", datetime.date(1990, 1, 1), -1),
        ("410481", datetime.date(1990, 1, 1), 1000),
    ],
)
def test_make_resident_id_rejects_bad_parts(
    region: str, birth: datetime.date, sequence: int
) -> None:
    with pytest.raises(ValueError):
        make_resident_id(region, birth, sequence)


def test_extractors_reject_invalid_numbers() -> None:
    with pytest.raises(ValueError):
        resident_id_gender("110101199001011234")
    with pytest.raises(ValueError):
        resident_id_birth_date("110101199001011234")


# --- Privacy: nothing reported about an ID number repeats it -------------------------------

INVALID_IDS = [
    "110101199001011234",  # check character
    with_id_check_char("11010519900230123"),  # 30 February
    with_id_check_char("41048129990101123"),  # future
    with_id_check_char("41048118991231123"),  # before 1900
    "11010519491231002A",  # bad last character
    "11010519490230002A",  # bad last character and date
    "1101051949123100AX",  # letter in the body
    "41048119900101123",  # 17 characters
    "4104811990010112345",  # 19 characters
    "110105491231002",  # 15-digit legacy number
    "110105194912310021",  # lower-case irrelevant, wrong check
]


def six_char_fragments(id_number: str) -> set[str]:
    text = id_number.upper()
    return {text[i : i + 6] for i in range(len(text) - 5)}


@pytest.mark.parametrize("id_number", INVALID_IDS)
def test_problem_reasons_never_contain_the_number(id_number: str) -> None:
    problems = validate_resident_id(id_number)
    assert problems
    for text in [p.reason for p in problems] + [repr(p) for p in problems]:
        assert id_number not in text
        for fragment in six_char_fragments(id_number):
            assert fragment not in text


@pytest.mark.parametrize("id_number", INVALID_IDS)
def test_exceptions_never_contain_the_number(id_number: str) -> None:
    for extract in (resident_id_gender, resident_id_birth_date):
        with pytest.raises(ValueError) as info:
            extract(id_number)
        message = str(info.value) + repr(info.value)
        assert id_number not in message
        for fragment in six_char_fragments(id_number):
            assert fragment not in message


# --- Masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("李四", "李*"),
        ("王小明", "王**"),
        ("欧阳小明", "欧阳**"),
        ("司马懿", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),
        ("李", "李"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_id_number_keeps_first_one_and_last_two() -> None:
    masked = mask_id_number(VALID_ID)
    assert masked == "1***************2X"
    assert len(masked) == len(VALID_ID)
    assert mask_id_number("abc") == "***"
    assert mask_id_number("") == ""


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812348000", "138****8000"),
        ("03755123456", "037****3456"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# --- Person keys -----------------------------------------------------------------------------


def test_person_key_shape_and_determinism() -> None:
    key = person_key(VALID_ID, b"city-secret")
    assert key.startswith("P")
    assert len(key) == 33
    assert all(ch in "0123456789abcdef" for ch in key[1:])
    assert person_key(VALID_ID, b"city-secret") == key


def test_person_key_depends_on_the_secret() -> None:
    assert person_key(VALID_ID, b"city-secret") != person_key(VALID_ID, b"other-secret")


def test_person_key_ignores_the_case_of_x() -> None:
    assert person_key(VALID_ID.lower(), b"city-secret") == person_key(VALID_ID, b"city-secret")


def test_person_key_differs_between_people() -> None:
    other = make_resident_id("410481", datetime.date(1990, 1, 1), 1)
    assert person_key(other, b"city-secret") != person_key(VALID_ID, b"city-secret")


def test_person_key_does_not_contain_the_number() -> None:
    key = person_key(VALID_ID, b"city-secret")
    assert VALID_ID not in key.upper()
    for fragment in six_char_fragments(VALID_ID):
        assert fragment not in key.upper()


def test_person_key_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        person_key(VALID_ID, b"")
