"""Write docs/catalog-sample.csv and docs/catalog-sample.xlsx: a sample catalog (事项目录) for the demo
hall, through the same writer as `onewindow catalog export`, so the samples always match the format.

    .venv/bin/python scripts/catalog_sample.py
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.domain.catalog import CatalogItem  # noqa: E402
from server.services.catalog_files import Kind, write_catalog  # noqa: E402

FREE = "不收费"
SAMPLE = (
    CatalogItem("A01", "城乡居民基本养老保险参保登记", "A", "区人社局", 0, ("居民身份证", "户口簿"),
                statutory_days=5, fee=FREE, legal_basis="《中华人民共和国社会保险法》第二十条",
                acceptance_standard="年满16周岁、非国家机关和事业单位工作人员、未参加职工基本养老保险的城乡居民",
                immediate=True, online=True, star=5),
    CatalogItem("A04", "就业创业证申领", "A", "区人社局", 3, ("居民身份证", "近期一寸免冠照片"),
                statutory_days=10, fee=FREE, legal_basis="《就业服务与就业管理规定》第六十三条",
                acceptance_standard="本区户籍或常住人员，处于法定劳动年龄", online=True, star=4),
    CatalogItem("A05", "最低生活保障申请", "A", "区民政局", 30,
                ("居民身份证", "户口簿", "家庭收入证明", "家庭财产申报表", "最低生活保障申请书"),
                statutory_days=30, departments=("区民政局", "街道办事处"), fee=FREE,
                legal_basis="《社会救助暂行办法》第十一条",
                acceptance_standard="家庭人均收入低于当地最低生活保障标准，且符合家庭财产状况规定", star=2),
    CatalogItem("A07", "残疾人两项补贴申请", "A", "区残联", 20, ("居民身份证", "中华人民共和国残疾人证", "户口簿"),
                statutory_days=30, departments=("区残联", "区民政局"), fee=FREE,
                legal_basis="《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
                acceptance_standard="持有第二代残疾人证的困难残疾人或一、二级重度残疾人", online=True, star=3),
    CatalogItem("B01", "个体工商户设立登记", "B", "区市场监管局", 1,
                ("经营者身份证", "经营场所使用证明", "个体工商户开业登记申请书"),
                statutory_days=15, fee=FREE, legal_basis="《促进个体工商户发展条例》第八条",
                acceptance_standard="申请材料齐全、符合法定形式", immediate=True, online=True, star=5),
    CatalogItem("B02", "有限责任公司设立登记", "B", "区市场监管局", 3,
                ("公司登记（备案）申请书", "公司章程", "股东主体资格证明", "法定代表人、董事、监事任职文件",
                 "住所使用证明"),
                statutory_days=15, fee=FREE, legal_basis="《中华人民共和国公司法》第二十九条",
                acceptance_standard="名称已自主申报，申请材料齐全、符合法定形式", online=True, star=5),
    CatalogItem("B04", "营业执照注销登记", "B", "区市场监管局", 5,
                ("注销登记申请书", "清算报告或债务清偿承诺书", "清税证明", "营业执照正副本"),
                statutory_days=15, departments=("区市场监管局", "区税务局"), fee=FREE,
                legal_basis="《中华人民共和国市场主体登记管理条例》第三十一条", online=True, star=4),
    CatalogItem("B07", "合伙企业设立登记", "B", "区市场监管局", 3,
                ("合伙企业设立登记申请书", "全体合伙人签署的合伙协议", "合伙人身份证明", "主要经营场所使用证明"),
                statutory_days=15, fee=FREE, legal_basis="《中华人民共和国合伙企业法》第九条", online=True, star=4),
    CatalogItem("C01", "食品经营许可证核发", "C", "区市场监管局", 10,
                ("食品经营许可申请书", "营业执照", "与食品经营相适应的主要设备设施布局、操作流程等文件",
                 "食品安全自查、从业人员健康管理等食品安全管理制度"),
                statutory_days=20, fee=FREE, legal_basis="《中华人民共和国食品安全法》第三十五条",
                acceptance_standard="有与经营的食品品种、数量相适应的经营场所，且距离污染源符合规定",
                online=True, star=4),
    CatalogItem("C02", "公共场所卫生许可证核发", "C", "区卫健局", 10,
                ("公共场所卫生许可申请表", "营业执照", "卫生检测报告", "卫生管理制度"),
                statutory_days=20, fee=FREE, legal_basis="《公共场所卫生管理条例》第八条", online=True, star=3),
    CatalogItem("C03", "烟草专卖零售许可证核发", "C", "区烟草专卖局", 15,
                ("烟草专卖零售许可证申请表", "经营者身份证", "经营场所使用证明"),
                statutory_days=20, fee=FREE, legal_basis="《中华人民共和国烟草专卖法》第十六条", star=3),
    CatalogItem("C10", "道路货物运输经营许可", "C", "区交通运输局", 20,
                ("道路货物运输经营申请表", "营业执照", "车辆行驶证", "驾驶员从业资格证", "安全生产管理制度文本"),
                statutory_days=20, fee=FREE, legal_basis="《中华人民共和国道路运输条例》第二十四条", star=2),
    CatalogItem("D01", "建设工程规划许可证核发", "D", "区自然资源局", 20,
                ("建设工程规划许可申请表", "使用土地的有关证明文件", "建设工程设计方案"),
                statutory_days=20, departments=("区自然资源局", "区住建局"), fee=FREE,
                legal_basis="《中华人民共和国城乡规划法》第四十条", online=True, star=3),
    CatalogItem("D02", "建筑工程施工许可证核发", "D", "区住建局", 7,
                ("建筑工程施工许可申请表", "施工合同", "施工图设计文件审查合格书", "质量安全监督手续"),
                statutory_days=15, fee=FREE, legal_basis="《中华人民共和国建筑法》第七条",
                acceptance_standard="已办理用地批准手续、取得规划许可证，施工场地已基本具备施工条件",
                online=True, star=4),
    CatalogItem("D03", "建设项目环境影响评价审批", "D", "区生态环境局", 30, ("环境影响报告书", "项目批复文件"),
                statutory_days=60, fee=FREE, legal_basis="《中华人民共和国环境影响评价法》第二十二条", star=2),
    CatalogItem("D07", "城市建筑垃圾处置核准", "D", "区城管局", 10, ("处置方案", "运输合同", "消纳场证明"),
                statutory_days=20, fee="按处置量收取，每吨 5 元",
                legal_basis="《城市建筑垃圾管理规定》第七条", star=1),
    CatalogItem("L01", "办件结果领取", "L", "综合窗口", 0, ("受理回执", "领取人身份证"), fee=FREE, immediate=True),
    CatalogItem("Z01", "政策咨询", "Z", "综合窗口", 0, fee=FREE, immediate=True),
    CatalogItem("V01", "特殊群体代办服务", "V", "区行政服务中心", 0, ("委托书", "委托人身份证"),
                fee=FREE, acceptance_standard="老年人、残疾人等行动不便群众"),
)


# How each kind of material is handed in (seed art. 7: 原件/复印件 and copies), written after its name.
FORMS = ((re.compile("身份证|申请书|申请表|登记表|协议|章程|照片"), "（原件1份）"),
         (re.compile("营业执照|许可证|残疾人证|户口簿"), "（原件及复印件各1份）"),
         (re.compile("证明|报告|文件|制度"), "（复印件1份）"))


def with_form(material: str) -> str:
    return next((material + form for pattern, form in FORMS if pattern.search(material)), material)


def main() -> None:
    kinds: tuple[Kind, ...] = ("csv", "xlsx")
    items = [replace(item, materials=tuple(with_form(m) for m in item.materials)) for item in SAMPLE]
    for kind in kinds:
        path = ROOT / "docs" / f"catalog-sample.{kind}"
        path.write_bytes(write_catalog(items, kind))
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
