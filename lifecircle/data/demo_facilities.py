"""Life-circle service facilities of the synthetic demo district (schools, markets, clinics...).

Part of :mod:`lifecircle.data.make_demo`. Every facility is invented and sits at a
fixed lattice position (no random draw, so adding this layer left every other demo file
byte-identical). Categories are written as a planner's list would write them — Chinese
names, one bracketed variant — so reading the file exercises
:func:`lifecircle.geo.facility_categories.resolve_category`.

Designed gaps, for the GB 50180-2018 preset (``demo_life_circle.toml``):

- no sports hall (体育馆) anywhere: every grid misses it;
- one metro station in the east: the west misses it (15-minute tier, 1,000 m);
- the care home and day-care centres come from the elderly layer (south-west and centre);
- 5-minute services (300 m) are sparse in the south-east, like the elderly services.
"""

from __future__ import annotations

from shapely.geometry import Point

from lifecircle.data.demo_lattice import Lattice, Record, k_

__all__ = ["FACILITIES", "build_facilities"]

# (category as written in the list, zh name, en name, capacity or None, lattice u, v).
# Streets run along even lattice lines; positions sit 5-12 m off them.
FACILITIES: tuple[tuple[str, str, str, int | None, float, float], ...] = (
    # 15-minute tier
    ("初中", "示范初级中学", "Demo Middle School", 900, 6.1, 5.5),
    ("社区卫生服务中心（社区医院）", "示范社区卫生服务中心", "Demo Health Centre", None, 7.0, 7.1),
    ("文化活动中心", "示范文化活动中心", "Demo Cultural Centre", None, 4.9, 6.1),
    ("社区服务中心", "示范社区服务中心", "Demo Community Service Centre", None, 8.1, 6.5),
    ("地铁站", "示范地铁站", "Demo Metro Station", None, 10.1, 4.0),
    # 10-minute tier
    ("小学", "示范第一小学", "Demo Primary School 1", 720, 3.0, 8.1),
    ("小学", "示范第二小学", "Demo Primary School 2", 540, 10.1, 8.0),
    ("小学", "示范第三小学", "Demo Primary School 3", 540, 6.0, 1.9),
    ("菜市场", "示范菜场", "Demo Fresh Market", None, 3.9, 4.0),
    ("菜市场", "示范农贸市场", "Demo Farmers' Market", None, 9.0, 9.1),
    ("多功能运动场地", "示范运动场", "Demo Sports Ground", None, 6.5, 8.1),
    ("公交站", "示范大道公交站", "Demo Avenue Bus Stop", None, 2.1, 2.0),
    ("公交站", "示范二路公交站", "Demo Road 2 Bus Stop", None, 2.1, 10.0),
    ("公交站", "示范中心公交站", "Demo Centre Bus Stop", None, 6.1, 6.0),
    ("公交站", "示范东路公交站", "Demo East Road Bus Stop", None, 12.1, 2.0),
    ("公交站", "示范北路公交站", "Demo North Road Bus Stop", None, 12.1, 9.0),
    ("公交站", "示范八路公交站", "Demo Road 8 Bus Stop", None, 8.0, 11.1),
    # 5-minute tier
    ("幼儿园", "示范第一幼儿园", "Demo Kindergarten 1", 270, 2.5, 8.9),
    ("幼儿园", "示范第二幼儿园", "Demo Kindergarten 2", 180, 5.5, 3.9),
    ("幼儿园", "示范第三幼儿园", "Demo Kindergarten 3", 270, 9.5, 7.1),
    ("幼儿园", "示范第四幼儿园", "Demo Kindergarten 4", 180, 1.9, 4.5),
    ("托儿所", "示范托育中心", "Demo Nursery 1", 60, 5.2, 6.9),
    ("托儿所", "示范第二托育点", "Demo Nursery 2", 40, 9.0, 2.9),
    ("社区卫生服务站", "示范卫生服务站一", "Demo Health Station 1", None, 2.0, 6.1),
    ("社区卫生服务站", "示范卫生服务站二", "Demo Health Station 2", None, 10.5, 10.1),
    ("社区卫生服务站", "示范卫生服务站三", "Demo Health Station 3", None, 8.0, 2.6),
    ("社区卫生服务站", "示范卫生服务站四", "Demo Health Station 4", None, 4.0, 10.5),
    ("室外健身场地", "示范健身苑点一", "Demo Fitness Area 1", None, 4.5, 4.6),
    ("室外健身场地", "示范健身苑点二", "Demo Fitness Area 2", None, 11.0, 8.1),
    ("室外健身场地", "示范健身苑点三", "Demo Fitness Area 3", None, 1.5, 2.6),
    ("室外健身场地", "示范健身苑点四", "Demo Fitness Area 4", None, 7.9, 9.5),
    ("便利店", "示范便利店一", "Demo Convenience Store 1", None, 1.0, 8.1),
    ("便利店", "示范便利店二", "Demo Convenience Store 2", None, 3.0, 6.1),
    ("便利店", "示范便利店三", "Demo Convenience Store 3", None, 5.0, 10.1),
    ("便利店", "示范便利店四", "Demo Convenience Store 4", None, 7.0, 4.1),
    ("便利店", "示范便利店五", "Demo Convenience Store 5", None, 9.0, 6.1),
    ("便利店", "示范便利店六", "Demo Convenience Store 6", None, 3.0, 2.1),
    ("便利店", "示范便利店七", "Demo Convenience Store 7", None, 11.0, 10.1),
    ("便利店", "示范便利店八", "Demo Convenience Store 8", None, 7.0, 11.1),
    ("药店", "示范大药房", "Demo Pharmacy 1", None, 3.0, 5.1),
    ("药店", "示范药房", "Demo Pharmacy 2", None, 7.5, 9.1),
    ("药店", "示范第三药店", "Demo Pharmacy 3", None, 11.0, 5.9),
    ("公园", "示范公园", "Demo Park", None, 5.0, 5.0),
    ("口袋公园", "示范口袋公园", "Demo Pocket Park", None, 12.5, 9.5),
    ("公园", "示范街心公园", "Demo Street Garden", None, 1.1, 10.9),
    # the north and west are dense (a complete 5-minute circle in places); the south-east
    # is left poor on purpose
    ("便利店", "示范便利店九", "Demo Convenience Store 9", None, 1.0, 11.1),
    ("便利店", "示范便利店十", "Demo Convenience Store 10", None, 3.0, 11.1),
    ("便利店", "示范便利店十一", "Demo Convenience Store 11", None, 5.0, 8.1),
    ("便利店", "示范便利店十二", "Demo Convenience Store 12", None, 9.0, 11.1),
    ("便利店", "示范便利店十三", "Demo Convenience Store 13", None, 1.1, 5.0),
    ("幼儿园", "示范第五幼儿园", "Demo Kindergarten 5", 180, 1.1, 11.0),
    ("幼儿园", "示范第六幼儿园", "Demo Kindergarten 6", 180, 6.1, 9.0),
    ("托儿所", "示范第三托育点", "Demo Nursery 3", 40, 2.1, 9.5),
    ("托儿所", "示范第四托育点", "Demo Nursery 4", 40, 3.0, 11.2),
    ("社区卫生服务站", "示范卫生服务站五", "Demo Health Station 5", None, 1.1, 9.0),
    ("社区卫生服务站", "示范卫生服务站六", "Demo Health Station 6", None, 6.0, 9.0),
    ("室外健身场地", "示范健身苑点五", "Demo Fitness Area 5", None, 2.1, 11.0),
    ("室外健身场地", "示范健身苑点六", "Demo Fitness Area 6", None, 2.9, 7.0),
    ("药店", "示范第四药店", "Demo Pharmacy 4", None, 1.9, 11.0),
    ("药店", "示范第五药店", "Demo Pharmacy 5", None, 2.1, 8.0),
    ("公园", "示范口袋绿地", "Demo Pocket Green", None, 3.1, 10.0),
    ("公园", "示范社区公园", "Demo Community Park", None, 1.0, 7.0),
    ("菜市场", "示范北菜场", "Demo North Market", None, 2.0, 10.5),
    ("多功能运动场地", "示范北运动场", "Demo North Sports Ground", None, 2.5, 10.1),
    ("小学", "示范第四小学", "Demo Primary School 4", 540, 1.1, 10.1),
)


def build_facilities(lat: Lattice) -> list[Record]:
    """Facility records (id, name, category, capacity, geometry in local metres)."""
    out = []
    for n, (category, zh, en, capacity, u, v) in enumerate(FACILITIES, start=1):
        x, y = lat.metres(k_(u, v))
        out.append(
            {
                "id": f"F{n:02d}",
                "name": f"{zh} {en}",
                "category": category,
                "capacity": capacity,
                "geometry": Point(x, y),
            }
        )
    return out
