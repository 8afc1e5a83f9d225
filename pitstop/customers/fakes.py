"""Realistic Chinese customer and vehicle data for the demo and the benchmarks: names,
mobiles, addresses, valid VINs of brands sold in China, and plates. Deterministic by seed."""

import datetime
import random
from dataclasses import dataclass

from pitstop.core.identifiers import vin_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 浩 宇 欣怡 子轩 梓涵 一诺 建国 建华 志强 晓东 海涛 春梅 丹 鹏 辉 玲 婷 雪 琳 博 文 斌 宁 凯 晨 颖 慧 佳 毅 俊杰 晓燕 红梅 国强".split()
COMPANY_WORDS = ["物流", "建设", "科技", "贸易", "餐饮", "出租汽车", "旅游", "医药", "电子", "房地产"]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]
CITIES = {
    "京": (
        "北京市",
        ["朝阳区", "海淀区", "丰台区", "东城区", "西城区", "通州区", "昌平区", "大兴区"],
        ["建国路", "望京街", "中关村大街", "学院路", "京顺路", "安立路", "西直门外大街"],
    ),
    "沪": (
        "上海市",
        ["浦东新区", "徐汇区", "闵行区", "静安区", "长宁区", "杨浦区", "宝山区"],
        ["世纪大道", "张杨路", "漕溪北路", "南京西路", "虹桥路", "中山北路", "龙阳路"],
    ),
    "粤": ("广州市", ["天河区", "越秀区", "海珠区", "白云区", "番禺区"], ["天河路", "中山大道"]),
}
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
YEAR_CODES = {
    2015: "F",
    2016: "G",
    2017: "H",
    2018: "J",
    2019: "K",
    2020: "L",
    2021: "M",
    2022: "N",
    2023: "P",
    2024: "R",
    2025: "S",
    2026: "T",
}
COLOURS = ["白色", "黑色", "银色", "灰色", "蓝色", "红色", "珍珠白", "星空灰"]


@dataclass(frozen=True)
class Make:
    brand: str
    wmi: str
    series: tuple[str, ...]
    fuel: str
    displacement: str | None
    transmission: str


MAKES = [
    Make("大众", "LSV", ("朗逸", "帕萨特", "途观L", "速腾"), "petrol", "1.5", "automatic"),
    Make("一汽-大众", "LFV", ("宝来", "迈腾", "探岳"), "petrol", "2.0", "dct"),
    Make("丰田", "LVG", ("凯美瑞", "汉兰达", "亚洲龙"), "hev", "2.5", "cvt"),
    Make("丰田", "LFM", ("卡罗拉", "RAV4荣放", "威驰"), "petrol", "1.5", "cvt"),
    Make("本田", "LHG", ("雅阁", "思域", "CR-V"), "petrol", "1.5", "cvt"),
    Make("日产", "LGB", ("轩逸", "天籁", "奇骏"), "petrol", "1.6", "cvt"),
    Make("别克", "LSG", ("英朗", "君越", "GL8"), "petrol", "2.0", "automatic"),
    Make("比亚迪", "LGX", ("汉EV", "秦PLUS DM-i", "宋PLUS", "海豚"), "bev", None, "single_speed"),
    Make("吉利", "L6T", ("星越L", "博越", "帝豪"), "petrol", "1.5", "dct"),
    Make("哈弗", "LGW", ("H6", "大狗", "枭龙"), "petrol", "1.5", "dct"),
    Make("特斯拉", "LRW", ("Model 3", "Model Y"), "bev", None, "single_speed"),
    Make("宝马", "LBV", ("3系", "5系", "X3"), "petrol", "2.0", "automatic"),
    Make("奔驰", "LE4", ("C级", "E级", "GLC"), "petrol", "2.0", "automatic"),
    Make("理想", "LW4", ("L7", "L8"), "erev", "1.5", "single_speed"),
]


class Faker:
    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)
        self._serial = 0

    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def company_name(self, province: str) -> str:
        city = CITIES.get(province, CITIES["京"])[0].rstrip("市")
        return f"{city}{self.rng.choice(['恒通', '宏达', '鑫源', '华泰', '安顺', '中联'])}{self.rng.choice(COMPANY_WORDS)}有限公司"

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self, province: str) -> str:
        city, districts, roads = CITIES.get(province, CITIES["京"])
        road = self.rng.choice(roads)
        return f"{city}{self.rng.choice(districts)}{road}{self.rng.randint(1, 300)}号"

    def birthday(self) -> datetime.date:
        return datetime.date(self.rng.randint(1960, 2002), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def make(self) -> Make:
        return self.rng.choice(MAKES)

    def vin(self, make: Make, year: int) -> str:
        self._serial += 1
        vds = "".join(self.rng.choice(SERIAL_CHARS.replace("Q", "")) for _ in range(5))
        plant = self.rng.choice("ABCDEFGHJKLMN")
        serial = f"{(self._serial * 7919 + self.rng.randrange(1000)) % 1000000:06d}"
        body = make.wmi + vds + "0" + YEAR_CODES[year] + plant + serial
        return body[:8] + vin_check_digit(body) + body[9:]

    def plate(self, province: str, electric: bool) -> str:
        letter = self.rng.choice(PLATE_LETTERS.replace("I", "").replace("O", ""))
        if electric:
            return f"{province}{letter}{self.rng.choice('DF')}{self.rng.choice(SERIAL_CHARS)}{self.rng.randrange(10000):04d}"
        serial = [str(self.rng.randrange(10)) for _ in range(5)]
        for position in self.rng.sample(range(5), k=self.rng.choice([0, 0, 1, 1, 2])):
            serial[position] = self.rng.choice(PLATE_LETTERS)
        return f"{province}{letter}{''.join(serial)}"

    def date_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        return start + datetime.timedelta(days=self.rng.randrange(max(1, (end - start).days)))
