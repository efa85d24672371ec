"""Tables the synthetic province is drawn from: age structure, names, phones, occupations, place names.

Everything here is data; the generator in province.py only samples from it.
"""

# Vietnam's population by 5-year age band and sex, in % of the whole population, from the
# 2019 Population and Housing Census (General Statistics Office, "Kết quả Tổng điều tra dân số
# và nhà ở năm 2019", table of population by age group and sex; 96.2 million people, 49.8 % male).
# Rounded to one decimal; the generator normalises the total.
AGE_BANDS: list[tuple[int, int, float, float]] = [
    # (from age, to age inclusive, male %, female %)
    (0, 4, 4.4, 4.0),
    (5, 9, 4.5, 4.1),
    (10, 14, 3.9, 3.5),
    (15, 19, 3.6, 3.3),
    (20, 24, 3.6, 3.4),
    (25, 29, 4.1, 4.0),
    (30, 34, 4.2, 4.1),
    (35, 39, 4.0, 3.9),
    (40, 44, 3.7, 3.6),
    (45, 49, 3.4, 3.3),
    (50, 54, 3.0, 3.0),
    (55, 59, 2.6, 2.8),
    (60, 64, 2.0, 2.3),
    (65, 69, 1.4, 1.7),
    (70, 74, 0.8, 1.1),
    (75, 79, 0.5, 0.8),
    (80, 99, 0.6, 1.3),
]

# Family names with their approximate shares in Vietnam (the remaining ~6.8 % spread over the rest).
FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 2.5), ("Huỳnh", 2.5),
    ("Phan", 4.5), ("Vũ", 1.9), ("Võ", 2.0), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5),
    ("Đinh", 0.6), ("Lâm", 0.6), ("Mai", 0.5), ("Trương", 0.6), ("Đào", 0.4), ("Cao", 0.4), ("Lưu", 0.4),
    ("Thái", 0.3), ("Châu", 0.4), ("Tô", 0.3), ("Lương", 0.3), ("Trịnh", 0.3), ("Hà", 0.3), ("Tạ", 0.2),
    ("Quách", 0.2), ("Kiều", 0.1), ("Diệp", 0.1), ("La", 0.1), ("Văn", 0.1), ("Từ", 0.1),
]

MIDDLE_NAMES_MALE: list[tuple[str, float]] = [
    ("Văn", 34), ("Hữu", 8), ("Đức", 8), ("Minh", 10), ("Thanh", 7), ("Quốc", 7), ("Công", 5),
    ("Ngọc", 4), ("Hoàng", 4), ("Gia", 3), ("Tấn", 4), ("Trung", 3), ("Xuân", 3),
]
MIDDLE_NAMES_FEMALE: list[tuple[str, float]] = [
    ("Thị", 48), ("Ngọc", 10), ("Thanh", 7), ("Thu", 6), ("Kim", 6), ("Mỹ", 5), ("Phương", 4),
    ("Bảo", 3), ("Hồng", 4), ("Diệu", 2), ("Minh", 3), ("Hoài", 2),
]
GIVEN_NAMES_MALE = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khang", "Khánh", "Long", "Minh", "Nam",
    "Nghĩa", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn",
    "Việt", "Vinh", "Hiếu", "Lộc", "Tâm", "Hòa", "Thịnh", "Kiên", "Bảo", "Duy", "Hưng", "Lâm", "Nhân",
    "Quân", "Tú", "Phát", "Tín", "Trí", "Đông", "Hậu", "Nhựt", "Tùng", "Danh", "Khoa", "Thuận",
]
GIVEN_NAMES_FEMALE = [
    "Anh", "Chi", "Dung", "Hà", "Hạnh", "Hằng", "Hoa", "Hồng", "Hương", "Huyền", "Lan", "Linh", "Loan",
    "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thu", "Thủy",
    "Trang", "Trinh", "Uyên", "Vân", "Vy", "Yến", "Hậu", "Tuyết", "Diễm", "Nhi", "Thư", "Hân", "Tiên",
    "Xuân", "Liên", "Cúc", "Đào", "Kiều", "Lệ", "Nhàn", "Thắm", "Trâm", "Ánh", "Giang", "Hiền",
]

# Household sizes 1–8 (mean ≈ 3.5, close to the 2019 census mean of 3.5 people per household).
HOUSEHOLD_SIZES: list[tuple[int, float]] = [
    (1, 10.0), (2, 18.0), (3, 23.0), (4, 26.0), (5, 12.0), (6, 6.0), (7, 3.0), (8, 2.0),
]

# Mobile prefixes of Vietnamese networks after the 2018–2019 conversion to 10 digits.
MOBILE_PREFIXES = [
    "032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098",  # Viettel
    "081", "082", "083", "084", "085", "088", "091", "094",  # Vinaphone
    "070", "076", "077", "078", "079", "089", "090", "093",  # Mobifone
    "052", "056", "058", "092",  # Vietnamobile
    "059", "099",  # Gmobile
]

# Occupations by age (Vietnamese, as entered on local forms). Working-age weights are a plain
# Mekong-delta mix: farming first, then factory work and trade.
OCC_CHILD = "Trẻ em"
OCC_PUPIL = "Học sinh"
OCC_STUDENT = "Sinh viên"
OCC_RETIRED = "Hưu trí"
OCC_FACTORY = "Công nhân"
OCC_WORKING: list[tuple[str, float]] = [
    ("Nông dân", 30), (OCC_FACTORY, 18), ("Buôn bán", 14), ("Lao động tự do", 10), ("Nội trợ", 6),
    ("Công chức", 4), ("Giáo viên", 3), ("Nhân viên văn phòng", 4), ("Tài xế", 3), ("Ngư dân", 2),
    ("Nhân viên y tế", 1.5), ("Thợ xây", 3), ("Thợ may", 1.5),
]
OCC_ELDERLY: list[tuple[str, float]] = [(OCC_RETIRED, 45), ("Nông dân", 30), ("Nội trợ", 15), ("Buôn bán", 10)]

HAMLET_NAMES = [
    "Bình Thạnh", "Tân Hòa", "Long Hưng", "Phú Mỹ", "Mỹ Lợi", "Hòa Bình", "Thạnh Phú", "An Thiện",
    "Bình Đông", "Tân Thuận", "Phước Hòa", "Long Thạnh", "Mỹ Hưng", "Hưng Phú", "Tân Lợi", "Thới An",
    "Bình Phú", "Tân Phong", "Hậu Thành", "Lợi An", "Phú Hữu", "Mỹ Đức", "Vĩnh Hòa", "Thạnh Lợi",
]
STREET_NAMES = [
    "Lê Lợi", "Nguyễn Huệ", "Hùng Vương", "Ấp Bắc", "Trưng Trắc", "30 Tháng 4", "Lý Thường Kiệt",
    "Nam Kỳ Khởi Nghĩa", "Đinh Bộ Lĩnh", "Trần Hưng Đạo", "Lê Văn Phẩm", "Nguyễn Trãi", "Học Lạc",
    "Rạch Gầm", "Yersin", "Lê Thị Hồng Gấm", "Nguyễn Tri Phương", "Phan Thanh Giản",
]

# Venue kinds: (kind, share %, size: "small"/"large"/"mixed", capacity range).
VENUE_KINDS: list[tuple[str, float, str, tuple[int, int]]] = [
    ("restaurant", 18, "mixed", (20, 150)),
    ("cafe", 20, "mixed", (15, 80)),
    ("barber", 9, "small", (4, 12)),
    ("pharmacy", 8, "small", (3, 10)),
    ("market", 3, "large", (300, 2000)),
    ("supermarket", 1.5, "large", (200, 800)),
    ("office", 8, "mixed", (10, 200)),
    ("school", 6, "large", (300, 2000)),
    ("religious", 6, "large", (50, 500)),
    ("karaoke", 4, "small", (8, 20)),
    ("clinic", 5, "small", (5, 30)),
    ("gym", 3, "small", (15, 60)),
    ("bus_station", 0.5, "large", (200, 1500)),
    ("hospital", 0.5, "large", (200, 1000)),
    ("other", 7.5, "mixed", (10, 100)),
]
VENUE_NAME_PATTERNS = {
    "restaurant": ["Quán cơm {p}", "Nhà hàng {h}", "Quán hủ tiếu {p}", "Quán lẩu {h}", "Quán nhậu {p}"],
    "cafe": ["Cà phê {h}", "Cà phê {p}", "Café {h}"],
    "barber": ["Tiệm tóc {p}", "Salon {p}", "Hớt tóc {p}"],
    "pharmacy": ["Nhà thuốc {p}", "Nhà thuốc {h}", "Quầy thuốc {p}"],
    "market": ["Chợ {c}", "Chợ {h}"],
    "supermarket": ["Bách hóa Xanh {c}", "Co.opmart {c}", "WinMart+ {c}", "Siêu thị {h}"],
    "office": ["UBND {k} {c}", "Bưu điện {c}", "Ngân hàng Agribank {c}", "Công an {k} {c}"],
    "school": ["Trường Tiểu học {c}", "Trường THCS {c}", "Trường THPT {h}", "Trường Mầm non {h}"],
    "religious": ["Chùa {h}", "Nhà thờ {h}", "Đình {h}", "Thánh thất {h}"],
    "karaoke": ["Karaoke {h}", "Karaoke {p}"],
    "clinic": ["Phòng khám {p}", "Phòng khám Đa khoa {h}", "Nha khoa {p}"],
    "gym": ["Phòng gym {h}", "CLB thể hình {h}"],
    "bus_station": ["Bến xe {c}", "Trạm xe buýt {c}"],
    "hospital": ["Phòng khám khu vực {c}"],
    "other": ["Tiệm tạp hóa {p}", "Cửa hàng {h}", "Tiệm vàng {h}", "Sân bóng {h}"],
}

INDUSTRIES = [
    "May mặc", "Giày da", "Chế biến thủy sản", "Chế biến thực phẩm", "Bao bì", "Điện tử", "Cơ khí",
    "Chế biến nông sản", "Dệt", "Chế biến gỗ", "Thức ăn chăn nuôi", "Nhựa",
]
COMPANY_BRANDS = [
    "Mekong", "Phú Thành", "Việt Hưng", "Hòa Bình", "An Phát", "Sao Mai", "Tân Thành", "Hoàng Long",
    "Thành Công", "Đại Phát", "Kim Long", "Phước Thịnh", "Minh Phú", "Việt Thắng", "Hưng Thịnh",
    "Nam Việt", "Trường Thịnh", "Đông Á", "Tiến Đạt", "Hải Vương",
]
COMPANY_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"]

# Industrial parks by province code: (name, short name of the commune it is in).
INDUSTRIAL_PARKS: dict[str, list[tuple[str, str]]] = {
    "82": [("KCN Mỹ Tho", "Trung An"), ("KCN Tân Hương", "Tân Hương"), ("KCN Long Giang", "Tân Lập 1")],
}

# Checkpoints on provincial borders by province code: (name, road, commune short name).
CHECKPOINTS: dict[str, list[tuple[str, str, str]]] = {
    "82": [
        ("Chốt kiểm soát Quốc lộ 1A – giáp Long An", "Quốc lộ 1A", "Tân Lập 1"),
        ("Chốt kiểm soát cao tốc TP.HCM – Trung Lương", "Cao tốc TP.HCM – Trung Lương", "Tân Hương"),
        ("Chốt kiểm soát Quốc lộ 50 – cầu Mỹ Lợi", "Quốc lộ 50", "Tân Tây"),
        ("Chốt kiểm soát cầu Rạch Miễu", "Quốc lộ 60", "Tân Thạch"),
        ("Chốt kiểm soát cầu Mỹ Thuận", "Quốc lộ 1A", "Hậu Mỹ Bắc B"),
        ("Chốt kiểm soát Quốc lộ 30 – giáp Đồng Tháp", "Quốc lộ 30", "Mỹ Đức Tây"),
    ],
}
PROVINCE_POPULATION: dict[str, int] = {
    "82": 1_764_185,  # Tiền Giang, 2019 census
}

ESSENTIAL_SHOP_BRANDS = ["Bách hóa Xanh", "Co.opMart", "Co.op Food", "Cửa hàng thực phẩm", "Siêu thị mini"]
