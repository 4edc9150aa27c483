"""What comes DOWN from the provincial and national network (issue 17), loaded as feeds.

- `lists`: 省级下发 / 国家下发 lists naming the city's subjects (失信被执行人, 重大税收违法失信主体,
  other departments' 严重失信主体名单, red lists) through the feed pipeline, with provenance and
  linked, not duplicated, where a city department already sent the same decision;
- `measures`: the provincial joint reward and punishment measures catalogue (全省统一的联合奖惩
  系统), versioned, flagging the city's measures that are not in it;
- `inspections`: inspection results recorded in “互联网+监管”, as INSPECTION records.

The upper systems are registered organisations (loaders/reference/demo/upper_systems.csv, kind
部门, sector 上级信用平台; the authorities above the city whose decisions they relay, 上级机关)
and listed in the collection catalogue, so their files pass the same supplier, column and row
checks and the same quarantine as any department's feed.
"""
