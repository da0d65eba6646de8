"""The words of the demo year: people, titles, topics, reasons and addresses, in Vietnamese."""
from __future__ import annotations

import random
from datetime import datetime

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Thanh", "Hữu", "Ngọc", "Xuân", "Hồng")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hằng", "Hùng", "Hương", "Lan",
         "Long", "Mai", "Nam", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn")

TITLES = {
    "city": ("Phó Chủ tịch UBND Thành phố", "Chánh Văn phòng UBND Thành phố"),
    "department": ("Giám đốc Sở", "Phó Giám đốc Sở", "Chánh Văn phòng Sở", "Trưởng phòng"),
    "district": ("Chủ tịch UBND", "Phó Chủ tịch UBND", "Chánh Văn phòng HĐND và UBND",
                 "Trưởng phòng Nội vụ"),
    "commune": ("Chủ tịch UBND", "Phó Chủ tịch UBND", "Công chức Văn phòng - Thống kê"),
}

DECLINE_REASONS = (
    "Trùng lịch họp của cấp ủy.", "Lãnh đạo đi công tác, không bố trí được người dự.",
    "Điểm cầu đang bảo trì, xin tham dự vào lần sau.", "Trùng lịch tiếp công dân định kỳ.",
    "Đơn vị đang tổ chức hội nghị riêng cùng thời điểm.")

CANCEL_REASONS = (
    "Trùng lịch họp của Thành ủy.", "Lãnh đạo chủ trì đi công tác đột xuất.",
    "Hoãn để chuẩn bị thêm tài liệu.", "Sự cố đường truyền tại điểm cầu chính.")

CHECK_FAILURES = ("Không kết nối được tới MCU.", "Mất tín hiệu hình ảnh.", "Không có tiếng.",
                  "Băng thông thấp, hình ảnh bị giật.", "Thiết bị không khởi động được.")

TOPICS = ("cải cách hành chính", "Tổng điều tra dân số và nhà ở năm 2019",
          "phòng, chống dịch tả lợn châu Phi", "xây dựng nông thôn mới",
          "dịch vụ công trực tuyến mức độ 3, 4", "xây dựng Chính quyền điện tử",
          "thu ngân sách nhà nước", "giải phóng mặt bằng các dự án trọng điểm",
          "bảo đảm trật tự an toàn giao thông", "phòng cháy, chữa cháy",
          "vệ sinh an toàn thực phẩm", "tuyển sinh đầu cấp năm học 2019-2020",
          "phòng, chống sốt xuất huyết", "quản lý trật tự xây dựng đô thị",
          "ứng dụng công nghệ thông tin trong cơ quan nhà nước", "công tác tiếp công dân",
          "phòng, chống thiên tai và tìm kiếm cứu nạn", "chi trả chế độ chính sách xã hội")

CATEGORY_TITLES = {
    "trien_khai": "Hội nghị triển khai công tác {topic}",
    "so_ket": "Sơ kết công tác {topic}",
    "tong_ket": "Tổng kết công tác {topic}",
    "tap_huan": "Tập huấn {topic}",
    "giai_quyet_cong_viec": "Họp giải quyết vướng mắc về {topic}",
    "giao_ban": "Giao ban công tác {topic}",
    "khac": "Làm việc về {topic}",
}


def person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def attendee_title(rng: random.Random, unit: dict) -> str:
    title = rng.choice(TITLES[unit["level"]])
    if unit["level"] in ("district", "commune") and title.endswith("UBND"):
        return f"{title} {unit['division_type']}"
    return title


def meeting_title(rng: random.Random, category: str, organizer: dict) -> str:
    """A title as the organizer's office would write it."""
    title = CATEGORY_TITLES[category].format(topic=rng.choice(TOPICS))
    if organizer["level"] == "city":
        return title
    return f"{title} ({organizer['name']})"


def city_briefing_title(districts: bool = True) -> str:
    """The weekly city briefing's title; since 1 July 2025 (no districts) the city meets its
    departments and its communes and wards directly."""
    if not districts:
        return "Giao ban trực tuyến UBND Thành phố với các sở, ngành và xã, phường"
    return ("Giao ban trực tuyến UBND Thành phố với các quận, huyện, thị xã "
            "và xã, phường, thị trấn")


def district_briefing_title(district: dict) -> str:
    return f"Giao ban UBND {district['name']} với các xã, phường, thị trấn"


def description(mode: str) -> str:
    """What invitees read under the title."""
    if mode == "in_person":
        return "Đề nghị các đơn vị cử đại diện lãnh đạo dự họp đúng thành phần, đúng giờ."
    return ("Họp trực tuyến: các đơn vị dự tại điểm cầu của mình, kiểm tra kết nối trước "
            "giờ họp 30 phút.")


def location(organizer: dict, online: bool) -> str:
    where = f"Phòng họp trụ sở {organizer['name']}"
    return f"{where} (điểm cầu chính)" if online else where


def slug(unit: dict) -> str:
    """An ASCII handle for dial addresses: 'phuong-phuc-xa-00001'."""
    return "-".join(unit["search_name"].split()) + "-" + unit["code"].lower()


def endpoint_row(unit: dict, handle: str, n: int, kind: str, status: str,
                 created: datetime) -> dict:
    """One endpoint's row; a room system dials on SIP or H.323, a software client by link."""
    if kind == "software":
        name = f"Phần mềm họp trực tuyến {unit['name']}" + (f" ({n - 8})" if n >= 10 else "")
        room = "Máy tính Văn phòng"
        address = f"https://hop.hanoi.gov.vn/p/{handle}-{n}"
    else:
        name, room = f"Điểm cầu {unit['name']}" + (f" ({n + 1})" if n else ""), \
            ("Phòng họp trực tuyến" if n == 0 else f"Phòng họp số {n + 1}")
        if (unit["id"] + n) % 3 == 0:
            address = f"h323:10.{unit['id'] // 250 % 250}.{unit['id'] % 250}.{10 + n}"
        else:
            address = f"sip:{handle}-{n}@vc.hanoi.gov.vn"
    return {"unit_id": unit["id"], "name": name, "room": room, "kind": kind, "address": address,
            "status": status, "created_at": created, "updated_at": created,
            "last_check_at": None, "last_check_passed": None}
