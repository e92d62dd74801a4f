"""Masking of personal data for readers without `pii:read`: the documented examples, edge cases,
and for addresses the promise that building, unit and room numbers never show."""

from __future__ import annotations

import re

import pytest

from registry.masking import mask_address, mask_id_number, mask_name, mask_phone


def test_none_passes_through() -> None:
    assert mask_name(None) is None
    assert mask_phone(None) is None
    assert mask_id_number(None) is None
    assert mask_address(None) is None


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小明", "王**"),
        ("王明", "王*"),
        ("王", "*"),
        ("欧阳娜娜", "欧***"),
        ("买买提·艾力", "买*****"),
        (" 王小明 ", "王**"),
        ("John Smith", "J*********"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13612345678", "136****5678"),
        ("+86 136 1234 5678", "136****5678"),  # unnormalized legacy data is parsed first
        ("010-12345678", "010-******78"),  # masking never validates, it only hides
        ("010-62345678", "010-******78"),
        ("010-62345678-123", "010-******78"),  # extension dropped
        ("0755-82345678-8001", "0755-******78"),
        ("0571-8765432", "0571-*****32"),
        ("(0571)8765432", "0571-*****32"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("12345", "*****"),
        ("119", "***"),
        ("", ""),
        ("call 6234 5678", "************78"),
    ],
)
def test_unparseable_phones_are_masked_more_not_less(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# --- ID numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        ("440524188001010014", "440524********0014"),
        ("110105491231002", "110105******002"),  # first-generation 15-digit number
        ("1101051949", "**********"),
        ("", ""),
    ],
)
def test_mask_id_number(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


def test_masked_id_number_hides_the_birth_date() -> None:
    assert "19491231" not in mask_id_number("11010519491231002X")


# --- addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        # The earliest marker wins: 里 (in 幸福里) starts before 小区.
        ("朝阳区幸福里小区3号楼2单元501", "朝阳区幸福里****"),
        ("北京市朝阳区建国路88号院3号楼2单元501", "北京市朝阳区建国路****"),
        ("海淀区中关村南大街5号", "海淀区中关村****"),
        ("上海市黄浦区南京东路100弄5号", "上海市黄浦区南京东路****"),
        ("上海市徐汇区田林十二村15号502室", "上海市徐汇区田林十二村****"),
        ("广州市天河区珠江新城华夏路10号", "广州市天河区珠江新城华夏路****"),
        ("成都市武侯区玉林小区北街3栋1单元6楼", "成都市武侯区玉林小区****"),
        ("杭州市西湖区翠苑一区12幢3单元401", "杭州市西湖区翠苑****"),
        ("西城区白纸坊街道平原里社区8号楼", "西城区白纸坊街****"),
        ("南京市鼓楼区湖南路街道狮子桥社区", "南京市鼓楼区湖南路****"),
        ("深圳市南山区蛇口海上世界公寓B座1203", "深圳市南山区蛇口海上世界公寓****"),
        ("天津市和平区五大道香港大院2号", "天津市和平区五大道香港大院****"),
        ("苏州市姑苏区平江路大儒巷22号", "苏州市姑苏区平江路****"),
        ("重庆市渝中区解放碑金台花园C栋", "重庆市渝中区解放碑金台花园****"),
        # No marker: the first 6 characters, cut where numbering begins.
        ("阳光家园三栋二单元501室", "阳光家园****"),
        ("某某家园七单元五零一", "某某家园****"),
        ("望京SOHO T1 A座1201", "望京SOHO****"),
        ("万科城市之光12-3-401", "万科城市之光****"),
        # A marker after the numbering: the numbering cut wins.
        ("北京市朝阳区88号院3号楼", "北京市朝阳区****"),
        ("朝阳区3号院幸福小区", "朝阳区****"),
        ("十二栋幸福小区", "****"),
        # Short addresses (≤ 6 characters): the first 2 characters.
        ("幸福小区", "幸福****"),
        ("幸福里5号", "幸福****"),
        ("3号楼2单元", "****"),
        ("B座", "****"),
        ("", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


REALISTIC = [
    "朝阳区幸福里小区3号楼2单元501",
    "北京市海淀区学院路30号科大天工大厦B座1708",
    "上海市浦东新区世纪大道100号环球金融中心45楼",
    "广东省深圳市福田区华强北路1002号赛格广场3楼",
    "浙江省杭州市余杭区仓前街道梦想小镇5幢",
    "江苏省南京市玄武区珠江路88号新世界中心A座2306室",
    "四川省成都市锦江区春熙路街道和平社区红星路二段70号",
    "湖北省武汉市江汉区前进四路28号附2号",
    "陕西省西安市雁塔区小寨东路126号百隆广场2单元15层1502",
    "某县某镇张家村三组28号",
    "华府天地三期七栋二单元1101",
    "碧桂园十期B区12-2-1201",
    "幸福家园东区10号楼",
    "翡翠城Ｂ１幢２０３",  # full-width letters and digits
]
HIDDEN_NUMBERING = re.compile(
    r"[0-9０-９]|[一二三四五六七八九十零〇]+(?:期|栋|幢|号|楼|单元|层|室|组)"
)


@pytest.mark.parametrize("address", REALISTIC)
def test_masked_addresses_never_show_numbering(address: str) -> None:
    masked = mask_address(address)
    assert masked.endswith("****")
    visible = masked.removesuffix("****")
    assert address.startswith(visible)
    assert not HIDDEN_NUMBERING.search(visible), masked
    assert not re.search(r"[A-Za-zＡ-Ｚ][0-9０-９]|[A-Za-zＡ-Ｚ](?:座|栋|幢|区)", visible), masked
    assert len(visible) < len(address)


def test_marker_positions_not_list_order_decide() -> None:
    # 小区 is first in the list, but 苑 starts earlier.
    assert mask_address("杭州市拱墅区大关苑小区5幢") == "杭州市拱墅区大关苑****"
    # 路 appears before 小区, so 路 decides.
    assert mask_address("北京市朝阳区望京路幸福小区5号楼") == "北京市朝阳区望京路****"
