"""Documents for download: the monthly assessment as CSV and as a printable PDF with charts, and
the volunteer certificate as a PDF. Presentation only: the figures come from services.reports.

CSV is UTF-8 with a byte-order mark, so spreadsheet programs used in China open it as UTF-8.
PDFs use the Adobe CID font STSong-Light (Chinese and Latin, referenced rather than embedded, as
PDF readers provide it), A4 portrait, with charts drawn by reportlab's graphics.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services import clock
from services.i18n import Language
from services.reports.assessment import Assessment, UnitFigures
from services.reports.certificates import VolunteerCertificate

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

Value = Callable[[UnitFigures], object]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# (zh-CN label, en label, value) per column, in the order of the CSV and the tables
COLUMNS: tuple[tuple[str, str, Value], ...] = (
    ("上报诉求", "Demands reported", lambda r: r.demands_reported),
    ("已办结", "Closed", lambda r: r.demands_closed),
    ("已解决", "Resolved", lambda r: r.demands_resolved),
    ("按时响应", "Responded in time", lambda r: r.responded_in_time),
    ("超时", "Breaches", lambda r: r.breaches),
    ("评价数", "Rated", lambda r: r.rated),
    ("满意数", "Satisfied", lambda r: r.satisfied),
    ("响应率", "Response rate", lambda r: _percent(r.response_rate)),
    ("解决率", "Resolution rate", lambda r: _percent(r.resolution_rate)),
    ("满意率", "Satisfaction rate", lambda r: _percent(r.satisfaction_rate)),
    ("户数", "Households", lambda r: r.households),
    ("走访户数", "Households visited", lambda r: r.households_visited),
    ("走访次数", "Visits", lambda r: r.visits),
    ("走访覆盖率", "Visit coverage", lambda r: _percent(r.visit_coverage)),
    ("巡查次数", "Inspection rounds", lambda r: r.inspection_rounds),
    ("志愿服务时长(小时)", "Volunteer hours", lambda r: r.volunteer_hours),
    ("发放积分", "Points earned", lambda r: r.points_earned),
    ("使用积分", "Points spent", lambda r: r.points_spent),
)

TEXT = {
    "unit_code": ("单位编码", "Unit code"),
    "unit_name": ("单位", "Unit"),
    "title": ("{unit} {month} 月度考核报告", "Monthly assessment: {unit}, {month}"),
    "generated": ("生成时间：{at}（北京时间）", "Generated {at} (Beijing time)"),
    "total": ("合计", "Total"),
    "rates": ("三率", "The three rates"),
    "by_grid": ("各网格诉求", "Demands per grid"),
    "points_by_grid": ("各网格积分", "Points per grid"),
    "grids": ("各网格明细", "Per grid"),
    "certificate": ("志愿服务证明", "Volunteer Service Certificate"),
    "number": ("证书编号：{number}", "Certificate no. {number}"),
    "body": (
        "兹证明 {name} 同志截至 {date} 在{community}累计参加志愿服务 {services} 次，"
        "服务时长共计 {hours} 小时，星级 {stars} 星。",
        "This certifies that {name}, as of {date}, has completed {services} volunteer "
        "services with {community}, totalling {hours} hours (star level {stars}).",
    ),
    "issuer": ("出具单位：{community}（盖章）", "Issued by {community} (seal)"),
    "issued_on": ("出具日期：{date}", "Date of issue: {date}"),
}


def _t(key: str, language: Language, **params: object) -> str:
    zh, en = TEXT[key]
    return (zh if language is Language.ZH_CN else en).format(**params)


def _label(column: tuple[str, str, Value], language: Language) -> str:
    return column[0] if language is Language.ZH_CN else column[1]


def _rows(report: Assessment) -> list[UnitFigures]:
    return [*report.grids, report.total]


def assessment_csv(report: Assessment, language: Language) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_t("unit_code", language), _t("unit_name", language)]
        + [_label(c, language) for c in COLUMNS]
    )
    for row in _rows(report):
        writer.writerow([row.unit.code, row.unit.name] + [str(c[2](row)) for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, spaceAfter=4 * mm)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=18, spaceBefore=4 * mm)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    return title, heading, body


def _bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    percent: bool = False,
) -> Drawing:
    width, height = 170 * mm, 62 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 14 * mm, 120 * mm, 44 * mm
    chart.data = [list(values) for _, values in series]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(categories) > 4 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 4 else "n"
    chart.valueAxis.valueMin = 0
    top = max([max(values, default=0) for _, values in series], default=0)
    chart.valueAxis.valueMax = 100 if percent else max(1, top * 1.15)
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    palette = (colors.HexColor("#c8102e"), colors.HexColor("#f2a900"), colors.HexColor("#4a6fa5"))
    for index in range(len(series)):
        chart.bars[index].fillColor = palette[index % len(palette)]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 138 * mm, 52 * mm
    legend.fontName, legend.fontSize = FONT, 8
    legend.colorNamePairs = [
        (palette[i % len(palette)], name) for i, (name, _) in enumerate(series)
    ]
    drawing.add(legend)
    if not categories:
        drawing.add(String(60 * mm, 30 * mm, "—", fontName=FONT, fontSize=12))
    return drawing


def _table(report: Assessment, language: Language, columns: Sequence[int]) -> Table:
    header = [_t("unit_name", language)] + [_label(COLUMNS[i], language) for i in columns]
    body = [
        [row.unit.name if row is not report.total else _t("total", language)]
        + [str(COLUMNS[i][2](row)) for i in columns]
        for row in _rows(report)
    ]
    table = Table([header, *body], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e5e5")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f7f7f7")),
            ]
        )
    )
    return table


def assessment_pdf(report: Assessment, language: Language) -> bytes:
    title, heading, body = _styles()
    month = report.month.strftime("%Y-%m")
    total = report.total
    rate_names = [_label(COLUMNS[i], language) for i in (7, 8, 9, 13)]
    rates = [
        (r or 0) * 100
        for r in (
            total.response_rate,
            total.resolution_rate,
            total.satisfaction_rate,
            total.visit_coverage,
        )
    ]
    story: list[object] = [
        Paragraph(_t("title", language, unit=report.unit.name, month=month), title),
        Paragraph(
            _t(
                "generated",
                language,
                at=report.generated_at.astimezone(clock.LOCAL).strftime("%Y-%m-%d %H:%M"),
            ),
            body,
        ),
        Paragraph(_t("rates", language), heading),
        _bars(rate_names, [(_t("total", language), rates)], percent=True),
    ]
    if report.grids:
        names = [row.unit.name for row in report.grids]
        story += [
            Paragraph(_t("by_grid", language), heading),
            _bars(
                names,
                [
                    (_label(COLUMNS[0], language), [r.demands_reported for r in report.grids]),
                    (_label(COLUMNS[2], language), [r.demands_resolved for r in report.grids]),
                    (_label(COLUMNS[4], language), [r.breaches for r in report.grids]),
                ],
            ),
            Paragraph(_t("points_by_grid", language), heading),
            _bars(
                names,
                [
                    (_label(COLUMNS[16], language), [r.points_earned for r in report.grids]),
                    (_label(COLUMNS[17], language), [r.points_spent for r in report.grids]),
                ],
            ),
        ]
    story += [
        Paragraph(_t("grids", language) if report.grids else _t("total", language), heading),
        Spacer(1, 2 * mm),
        _table(report, language, range(0, 10)),
        Spacer(1, 4 * mm),
        _table(report, language, range(10, len(COLUMNS))),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_t("title", language, unit=report.unit.name, month=month),
    )
    document.build(story)
    return out.getvalue()


def certificate_pdf(
    certificate: VolunteerCertificate, *, name: str, community: str, language: Language
) -> bytes:
    _, _, body = _styles()
    big = ParagraphStyle("big", fontName=FONT, fontSize=26, leading=34, alignment=1)
    text = ParagraphStyle("text", parent=body, fontSize=14, leading=26, firstLineIndent=28)
    right = ParagraphStyle("right", parent=body, fontSize=12, leading=20, alignment=2)
    issued = certificate.issued_on.isoformat()
    story = [
        Spacer(1, 20 * mm),
        Paragraph(_t("certificate", language), big),
        Spacer(1, 6 * mm),
        Paragraph(_t("number", language, number=certificate.number), right),
        Spacer(1, 10 * mm),
        Paragraph(
            _t(
                "body",
                language,
                name=name,
                date=issued,
                community=community,
                services=certificate.services,
                hours=f"{certificate.hours:g}",
                stars=certificate.stars,
            ),
            text,
        ),
        Spacer(1, 30 * mm),
        Paragraph(_t("issuer", language, community=community), right),
        Paragraph(_t("issued_on", language, date=issued), right),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        title=f"{_t('certificate', language)} {certificate.number}",
    )
    document.build(story)
    return out.getvalue()
